// SPDX-License-Identifier: MIT
/* The AML writer behind each guest's DSDT (ACPI 6.4 chapter 20): encodings of names,
 * integers, strings, package lengths and resource descriptors. A builder that runs out of
 * room or is misused marks itself failed rather than writing a broken table. */
#include <moat/acpi_aml.h>
#include <moat/string.h>

/* Opcodes and prefixes (ACPI 6.4 20.2.x). */
#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01
#define AML_NAME_OP 0x08
#define AML_BYTE_PREFIX 0x0a
#define AML_WORD_PREFIX 0x0b
#define AML_DWORD_PREFIX 0x0c
#define AML_STRING_PREFIX 0x0d
#define AML_QWORD_PREFIX 0x0e
#define AML_SCOPE_OP 0x10
#define AML_BUFFER_OP 0x11
#define AML_PACKAGE_OP 0x12
#define AML_EXT_OP_PREFIX 0x5b
#define AML_DEVICE_OP 0x82 /* after AML_EXT_OP_PREFIX */
#define AML_ROOT_CHAR '\\'
#define AML_DUAL_NAME_PREFIX 0x2e
#define AML_MULTI_NAME_PREFIX 0x2f
#define AML_NAME_SEG_SIZE 4

/* PkgLength (20.2.4): one byte up to 63, else a lead byte (bits 7:6 = how many bytes follow,
 * bits 3:0 = the low nibble) and up to three more bytes of the length. */
#define AML_PKG_LENGTH_ONE_BYTE_MAX 0x3f
#define AML_PKG_LENGTH_MAX 0x0fffffffu
#define AML_PKG_LENGTH_MAX_BYTES 4

/* Resource descriptor tags (6.4.2, 6.4.3). */
#define AML_RES_IRQ_NO_FLAGS 0x22  /* small item 0x04, 2 bytes: IRQ mask */
#define AML_RES_IO 0x47            /* small item 0x08, 7 bytes */
#define AML_RES_IO_DECODE16 BIT(0)
#define AML_RES_END_TAG 0x79       /* small item 0x0F, 1 byte: checksum (0: none) */
#define AML_RES_MEMORY32_FIXED 0x86 /* large item 0x06, 9 bytes */
#define AML_RES_MEMORY_WRITABLE BIT(0)
#define AML_RES_EXT_INTERRUPT 0x89 /* large item 0x09 */
#define AML_RES_ISA_IRQ_MAX 15

static void aml_fail(struct aml_builder *aml)
{
	aml->failed = true;
}

static void aml_bytes(struct aml_builder *aml, const void *bytes, u32 count)
{
	if (aml->failed || count > aml->size - aml->length) {
		aml_fail(aml);
		return;
	}
	memcpy(aml->buffer + aml->length, bytes, count);
	aml->length += count;
}

static void aml_byte(struct aml_builder *aml, u8 value)
{
	aml_bytes(aml, &value, 1);
}

/* Little-endian, count bytes of value. */
static void aml_le(struct aml_builder *aml, u64 value, u32 count)
{
	for (u32 i = 0; i < count; i++)
		aml_byte(aml, (u8)(value >> (8 * i)));
}

/* Inserts bytes at offset at, moving what follows. */
static void aml_insert(struct aml_builder *aml, u32 at, const u8 *bytes, u32 count)
{
	if (aml->failed || count > aml->size - aml->length) {
		aml_fail(aml);
		return;
	}
	memmove(aml->buffer + at + count, aml->buffer + at, aml->length - at);
	memcpy(aml->buffer + at, bytes, count);
	aml->length += count;
}

void aml_init(struct aml_builder *aml, u8 *buffer, u32 size)
{
	memset(aml, 0, sizeof(*aml));
	aml->buffer = buffer;
	aml->size = size;
}

bool aml_ok(const struct aml_builder *aml)
{
	return !aml->failed && aml->depth == 0;
}

static bool aml_name_char(char c, bool first)
{
	return (c >= 'A' && c <= 'Z') || c == '_' || (!first && c >= '0' && c <= '9');
}

/* NameString (20.2.2): an optional root prefix, then one, two (DualNamePath) or more
 * (MultiNamePath) segments, each padded to four characters with '_'. */
static void aml_name_string(struct aml_builder *aml, const char *name)
{
	u8 segments[AML_MAX_DEPTH][AML_NAME_SEG_SIZE];
	u32 count = 0;
	const char *p = name;

	if (*p == AML_ROOT_CHAR) {
		aml_byte(aml, AML_ROOT_CHAR);
		p++;
	}
	while (*p) {
		u32 len = 0;

		if (count == AML_MAX_DEPTH)
			return aml_fail(aml);
		memset(segments[count], '_', AML_NAME_SEG_SIZE);
		while (*p && *p != '.') {
			if (len == AML_NAME_SEG_SIZE || !aml_name_char(*p, len == 0))
				return aml_fail(aml);
			segments[count][len++] = (u8)*p++;
		}
		if (!len)
			return aml_fail(aml);
		count++;
		if (*p == '.')
			p++;
	}
	if (count == 0)
		return aml_fail(aml);
	if (count == 2)
		aml_byte(aml, AML_DUAL_NAME_PREFIX);
	else if (count > 2) {
		aml_byte(aml, AML_MULTI_NAME_PREFIX);
		aml_byte(aml, (u8)count);
	}
	aml_bytes(aml, segments, count * AML_NAME_SEG_SIZE);
}

static void aml_open(struct aml_builder *aml, enum aml_open_kind kind)
{
	if (aml->depth == AML_MAX_DEPTH)
		return aml_fail(aml);
	aml->open_kind[aml->depth] = kind;
	aml->open_at[aml->depth++] = aml->length;
}

void aml_scope_begin(struct aml_builder *aml, const char *name)
{
	aml_byte(aml, AML_SCOPE_OP);
	aml_open(aml, AML_OPEN_PACKAGE);
	aml_name_string(aml, name);
}

void aml_device_begin(struct aml_builder *aml, const char *name)
{
	aml_byte(aml, AML_EXT_OP_PREFIX);
	aml_byte(aml, AML_DEVICE_OP);
	aml_open(aml, AML_OPEN_PACKAGE);
	aml_name_string(aml, name);
}

void aml_package_begin(struct aml_builder *aml, u8 elements)
{
	aml_byte(aml, AML_PACKAGE_OP);
	aml_open(aml, AML_OPEN_PACKAGE);
	aml_byte(aml, elements); /* NumElements */
}

void aml_resources_begin(struct aml_builder *aml)
{
	aml_byte(aml, AML_BUFFER_OP);
	aml_open(aml, AML_OPEN_RESOURCES);
}

/* The integer encoding aml_integer writes, into out; returns its size. */
static u32 aml_encode_integer(u64 value, u8 out[9])
{
	u32 bytes;

	if (value == 0 || value == 1) {
		out[0] = value ? AML_ONE_OP : AML_ZERO_OP;
		return 1;
	}
	if (value <= 0xff) {
		out[0] = AML_BYTE_PREFIX;
		bytes = 1;
	} else if (value <= 0xffff) {
		out[0] = AML_WORD_PREFIX;
		bytes = 2;
	} else if (value <= 0xffffffffu) {
		out[0] = AML_DWORD_PREFIX;
		bytes = 4;
	} else {
		out[0] = AML_QWORD_PREFIX;
		bytes = 8;
	}
	for (u32 i = 0; i < bytes; i++)
		out[1 + i] = (u8)(value >> (8 * i));
	return 1 + bytes;
}

void aml_end(struct aml_builder *aml)
{
	u8 encoded[AML_PKG_LENGTH_MAX_BYTES];
	u32 at, body, total, count;

	if (aml->failed || aml->depth == 0)
		return aml_fail(aml);
	at = aml->open_at[--aml->depth];
	if (aml->open_kind[aml->depth] == AML_OPEN_RESOURCES) {
		aml_byte(aml, AML_RES_END_TAG);
		aml_byte(aml, 0);
	}
	if (aml->open_kind[aml->depth] != AML_OPEN_PACKAGE) {
		u8 size[9];

		/* BufferSize, a TermArg, comes before the bytes. */
		aml_insert(aml, at, size, aml_encode_integer(aml->length - at, size));
	}
	body = aml->length - at;
	for (count = 1; count <= AML_PKG_LENGTH_MAX_BYTES; count++)
		if (body + count <= (count == 1 ? AML_PKG_LENGTH_ONE_BYTE_MAX :
						  (1u << (4 + 8 * (count - 1))) - 1))
			break;
	total = body + count;
	if (count > AML_PKG_LENGTH_MAX_BYTES || total > AML_PKG_LENGTH_MAX)
		return aml_fail(aml);
	if (count == 1) {
		encoded[0] = (u8)total;
	} else {
		encoded[0] = (u8)(((count - 1) << 6) | (total & 0xf));
		for (u32 i = 1; i < count; i++)
			encoded[i] = (u8)(total >> (4 + 8 * (i - 1)));
	}
	aml_insert(aml, at, encoded, count);
}

void aml_name(struct aml_builder *aml, const char *name)
{
	aml_byte(aml, AML_NAME_OP);
	aml_name_string(aml, name);
}

void aml_integer(struct aml_builder *aml, u64 value)
{
	u8 encoded[9];

	aml_bytes(aml, encoded, aml_encode_integer(value, encoded));
}

void aml_string(struct aml_builder *aml, const char *text)
{
	aml_byte(aml, AML_STRING_PREFIX);
	for (const char *p = text; *p; p++) {
		if ((u8)*p < 0x01 || (u8)*p > 0x7f) /* AsciiCharList: 0x01-0x7F (20.2.3) */
			return aml_fail(aml);
		aml_byte(aml, (u8)*p);
	}
	aml_byte(aml, 0);
}

static int aml_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* EisaId (ACPI 6.4 19.6.35): each letter as 5 bits (A = 1), then the product number, stored
 * as a big-endian 32-bit value. */
void aml_eisa_id(struct aml_builder *aml, const char *id)
{
	u32 value = 0;

	if (strlen(id) != 7)
		return aml_fail(aml);
	for (u32 i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z')
			return aml_fail(aml);
		value |= (u32)(id[i] - 'A' + 1) << (26 - 5 * i);
	}
	for (u32 i = 3; i < 7; i++) {
		int digit = aml_hex_digit(id[i]);

		if (digit < 0)
			return aml_fail(aml);
		value |= (u32)digit << (4 * (6 - i));
	}
	aml_byte(aml, AML_DWORD_PREFIX);
	aml_le(aml, __builtin_bswap32(value), 4);
}

/* I/O Port Descriptor (6.4.2.5), 16-bit decode, one fixed range. */
void aml_resource_io(struct aml_builder *aml, u16 base, u8 length)
{
	aml_byte(aml, AML_RES_IO);
	aml_byte(aml, AML_RES_IO_DECODE16);
	aml_le(aml, base, 2); /* minimum */
	aml_le(aml, base, 2); /* maximum */
	aml_byte(aml, 1);     /* alignment */
	aml_byte(aml, length);
}

/* IRQ Descriptor without the flags byte (6.4.2.1): an ISA IRQ, edge, active high. */
void aml_resource_irq(struct aml_builder *aml, u8 irq)
{
	if (irq > AML_RES_ISA_IRQ_MAX)
		return aml_fail(aml);
	aml_byte(aml, AML_RES_IRQ_NO_FLAGS);
	aml_le(aml, 1u << irq, 2);
}

/* 32-Bit Fixed Memory Range Descriptor (6.4.3.4). */
void aml_resource_memory32_fixed(struct aml_builder *aml, u32 base, u32 length, bool writable)
{
	aml_byte(aml, AML_RES_MEMORY32_FIXED);
	aml_le(aml, 9, 2); /* length of the data that follows */
	aml_byte(aml, writable ? AML_RES_MEMORY_WRITABLE : 0);
	aml_le(aml, base, 4);
	aml_le(aml, length, 4);
}

/* Extended Interrupt Descriptor (6.4.3.6) with one interrupt number (a GSI). */
void aml_resource_interrupt(struct aml_builder *aml, u32 gsi, u8 flags)
{
	aml_byte(aml, AML_RES_EXT_INTERRUPT);
	aml_le(aml, 6, 2); /* flags, count, one u32 */
	aml_byte(aml, flags);
	aml_byte(aml, 1);
	aml_le(aml, gsi, 4);
}
