/* SPDX-License-Identifier: MIT */
/* Moat's own page tables (host_paging.c), for cpu_setup.c and the exception path. */
#ifndef MOAT_HOST_PAGING_H
#define MOAT_HOST_PAGING_H

#include <moat/frame.h>
#include <moat/host_map.h>

struct exception_frame;

/* Builds, checks and loads the tables for layout, NX and WP on; runs the self-test. */
int host_paging_load(struct frame_allocator *frames, const struct host_layout *layout);
/* A #PF the boot self-test caused on purpose: resumes after the probe and returns true. */
bool host_paging_fixup(struct exception_frame *f);

#endif
