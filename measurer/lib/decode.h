/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "cvm/eventlog.h"

struct json_object;

/* Decoded fields of an event's data, or NULL when its data is not of the expected shape. */
struct json_object *event_details(const cvm_eventlog *log, const struct cvm_event *ev);
