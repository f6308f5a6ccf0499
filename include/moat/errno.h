/* SPDX-License-Identifier: MIT */
/* Negative error codes returned across Moat (values follow Linux for familiarity). */
#ifndef MOAT_ERRNO_H
#define MOAT_ERRNO_H

#define MOAT_EPERM 1
#define MOAT_ENOENT 2
#define MOAT_EIO 5
#define MOAT_E2BIG 7
#define MOAT_ENOEXEC 8
#define MOAT_ENOMEM 12
#define MOAT_EFAULT 14
#define MOAT_EBUSY 16
#define MOAT_EEXIST 17
#define MOAT_EINVAL 22
#define MOAT_ENOSPC 28
#define MOAT_ERANGE 34
#define MOAT_ENOSYS 38
#define MOAT_ENODEV 19
#define MOAT_ENOTSUP 95

#endif
