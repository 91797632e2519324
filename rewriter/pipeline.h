/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The rewrite of an input image into an output image and its manifest, as a pipeline of phases (pipeline.c). */

#include "rewrite.h"

struct rw_options {
        const char *input, *output;
        unsigned launch_timeout;        /* seconds the appliance has to start */
        bool keep_temp, verbose;
        const char *grub_device;        /* GRUB's name of /boot's partition for the boot chain prediction; NULL: hd0,gptN */
        const char *platform_values;    /* a previous boot's firmware log: PCR0-3 and 6 for the boot chain, or NULL */
        const char *firmware, *firmware_vars; /* TDVF image (MRTD) and OVMF VARS image (PCR7), or NULL */
};

/* What ended a rewrite that failed: cvm-rewrite maps it to its exit code. */
enum rw_fault {
        RW_FAULT_NONE,
        RW_FAULT_OUTPUT,        /* --output names no place the output may go */
        RW_FAULT_IMAGE,         /* the input, the appliance, a step, the reference values or the output */
        RW_FAULT_UNSUPPORTED,   /* a guest that a plugin, or this tool, does not handle */
        RW_FAULT_SIGNAL,        /* a signal stopped the run (rw_summary.signal) */
};

/* Where a rewrite's time goes, as cvm-rewrite's summary and make bench report it. */
enum rw_stage {
        RW_STAGE_PREPARE,       /* the input and output checked, the input's digest */
        RW_STAGE_LAUNCH,        /* the appliance started */
        RW_STAGE_STEPS,         /* inspection, the kernel checks and the plugins' steps */
        RW_STAGE_REFERENCE,     /* the boot files and the reference values */
        RW_STAGE_OUTPUT,        /* the appliance closed, the output written, checked and renamed into place */
        RW_STAGE_N,
};

/* The stage's name in the summary ("launch", "reference values", ...). */
const char *rw_stage_name(enum rw_stage s);

struct rw_summary {
        size_t steps;
        unsigned launches;
        double wall;
        double stage[RW_STAGE_N];       /* seconds spent in each stage */
        long long output_size;
        const char *output_method;      /* how the output image was written: output_image.h (static) */
        enum rw_fault fault;    /* RW_FAULT_NONE after a success */
        int signal;             /* the signal that stopped the run (RW_FAULT_SIGNAL) */
};

/*
 * The whole rewrite of o->input into o->output: 0, or a negative errno with
 * err's message and sum->fault saying what kind of failure it was.  The
 * output and its manifest appear together or not at all.
 */
int rewrite_run(const struct recipe *r, const struct rw_options *o, struct rw_summary *sum, cvm_error *err);
