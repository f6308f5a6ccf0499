/* SPDX-License-Identifier: MIT */
/* A small AML (ACPI Machine Language, ACPI 6.4 chapter 20) writer for the DSDT Moat builds
 * per guest: named objects, scopes, devices, packages and resource templates, nothing that
 * executes. Open constructs are closed with aml_end; their lengths are filled in then. */
#ifndef MOAT_ACPI_AML_H
#define MOAT_ACPI_AML_H

#include <moat/types.h>

#define AML_MAX_DEPTH 8

enum aml_open_kind {
	AML_OPEN_PACKAGE,   /* Scope, Device, Package: PkgLength only */
	AML_OPEN_BUFFER,    /* Buffer: PkgLength and BufferSize */
	AML_OPEN_RESOURCES, /* a Buffer holding a resource template: the end tag, then as Buffer */
};

struct aml_builder {
	u8 *buffer;
	u32 size;
	u32 length;
	bool failed; /* out of room, too deep, or a bad name: the output is unusable */
	u32 depth;
	u32 open_at[AML_MAX_DEPTH]; /* where each open construct's body starts */
	enum aml_open_kind open_kind[AML_MAX_DEPTH];
};

/* Interrupt descriptor flags (ACPI 6.4 6.4.3.6, Extended Interrupt Descriptor). */
#define AML_INTERRUPT_CONSUMER BIT(0)
#define AML_INTERRUPT_EDGE BIT(1)
#define AML_INTERRUPT_ACTIVE_LOW BIT(2)
#define AML_INTERRUPT_SHARED BIT(3)

void aml_init(struct aml_builder *aml, u8 *buffer, u32 size);
/* true when everything written so far fit and every construct was closed. */
bool aml_ok(const struct aml_builder *aml);

/* Names are ASL-style paths of up to four-character segments: "\\_SB", "COM1", "_HID". */
void aml_scope_begin(struct aml_builder *aml, const char *name);
void aml_device_begin(struct aml_builder *aml, const char *name);
void aml_package_begin(struct aml_builder *aml, u8 elements);
void aml_resources_begin(struct aml_builder *aml);
void aml_end(struct aml_builder *aml);

/* Name(name, ...): the value object is written by the next call. */
void aml_name(struct aml_builder *aml, const char *name);
void aml_integer(struct aml_builder *aml, u64 value);
void aml_string(struct aml_builder *aml, const char *text);
/* EisaId("PNP0501"): three letters and four hex digits compressed into 32 bits. */
void aml_eisa_id(struct aml_builder *aml, const char *id);

/* Resource descriptors, inside aml_resources_begin/aml_end (ACPI 6.4 6.4). */
void aml_resource_io(struct aml_builder *aml, u16 base, u8 length);
void aml_resource_irq(struct aml_builder *aml, u8 irq);
void aml_resource_memory32_fixed(struct aml_builder *aml, u32 base, u32 length, bool writable);
void aml_resource_interrupt(struct aml_builder *aml, u32 gsi, u8 flags);

#endif
