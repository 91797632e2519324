/* SPDX-License-Identifier: Apache-2.0 */
/* The static launcher (initrd/launcher/cvm-launch.c), carried inside cvm-initrd. */
        .section .rodata
        .balign 16
        .globl cvm_launcher_start
        .globl cvm_launcher_end
cvm_launcher_start:
        .incbin LAUNCHER
cvm_launcher_end:
        .section .note.GNU-stack,"",@progbits
