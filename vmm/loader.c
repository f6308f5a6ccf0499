// SPDX-License-Identifier: MIT
/* Chooses the image loader by the configured format, and the helpers every loader uses to
 * report errors and to write guest RAM through the one checked translation. */
#include <moat/errno.h>
#include <moat/loader_internal.h>
#include <moat/string.h>

int loader_load(const struct loader_context *ctx, struct guest_entry_state *entry)
{
	switch (ctx->config->format) {
	case IMAGE_FORMAT_FLAT:
		return loader_flat_load(ctx, entry);
	case IMAGE_FORMAT_MULTIBOOT:
		return loader_multiboot_load(ctx, entry);
	case IMAGE_FORMAT_LINUX:
		return loader_linux_load(ctx, entry);
	}
	loader_error_file(ctx, ctx->image->path, "unknown image format %d",
			  (int)ctx->config->format);
	return -MOAT_EINVAL;
}

u64 loader_ram_size(const struct loader_context *ctx)
{
	const struct gpa_region *ram = guest_memory_find(ctx->memory, 0);

	return ram && ram->kind == GPA_REGION_RAM ? ram->size : 0;
}

struct loader_size_text loader_size_text(u64 bytes)
{
	struct loader_size_text out;

	if (bytes && IS_ALIGNED(bytes, MIB(1)))
		format(out.text, sizeof(out.text), "%lu MiB", bytes >> 20);
	else
		format(out.text, sizeof(out.text), "0x%lx bytes", bytes);
	return out;
}

static void loader_verror(const struct loader_context *ctx, const char *prefix, const char *fmt,
			  va_list args)
{
	size_t used;

	if (!ctx->err || !ctx->err_size)
		return;
	used = strlcpy(ctx->err, prefix, ctx->err_size);
	if (used < ctx->err_size)
		format_string(ctx->err + used, ctx->err_size - used, fmt, args);
}

void loader_error(const struct loader_context *ctx, u64 offset, const char *fmt, ...)
{
	char prefix[CONFIG_PATH_MAX + LOADER_SIZE_TEXT_MAX];
	va_list args;

	format(prefix, sizeof(prefix), "%s: offset 0x%lx: ", ctx->image->path, offset);
	va_start(args, fmt);
	loader_verror(ctx, prefix, fmt, args);
	va_end(args);
}

void loader_error_file(const struct loader_context *ctx, const char *path, const char *fmt, ...)
{
	char prefix[CONFIG_PATH_MAX + 2];
	va_list args;

	format(prefix, sizeof(prefix), "%s: ", path);
	va_start(args, fmt);
	loader_verror(ctx, prefix, fmt, args);
	va_end(args);
}

/* The loaders check every range against the RAM size first, so a failure here means the
 * memory map does not grant write access: report it rather than write anywhere else. */
static void *loader_guest_pointer(const struct loader_context *ctx, gpa_t gpa, u64 len)
{
	void *host = guest_memory_translate(ctx->memory, gpa, len, PT_WRITE);

	if (!host)
		loader_error_file(ctx, ctx->image->path,
				  "cannot write 0x%lx bytes at guest address 0x%lx", len, gpa);
	return host;
}

int loader_copy_to_guest(const struct loader_context *ctx, gpa_t gpa, const void *src, u64 len)
{
	void *host;

	if (!len)
		return 0;
	host = loader_guest_pointer(ctx, gpa, len);
	if (!host)
		return -MOAT_EFAULT;
	memcpy(host, src, len);
	return 0;
}

int loader_zero_guest(const struct loader_context *ctx, gpa_t gpa, u64 len)
{
	void *host;

	if (!len)
		return 0;
	host = loader_guest_pointer(ctx, gpa, len);
	if (!host)
		return -MOAT_EFAULT;
	memset(host, 0, len);
	return 0;
}
