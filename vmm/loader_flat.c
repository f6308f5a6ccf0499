// SPDX-License-Identifier: MIT
/* The flat binary loader: the whole file goes to the configured load address and the guest
 * starts at the configured entry (docs/boot-protocol.md, "Flat binary"). */
#include <moat/errno.h>
#include <moat/loader_internal.h>

int loader_flat_load(const struct loader_context *ctx, struct guest_entry_state *entry)
{
	const struct image_file *image = ctx->image;
	u64 load = ctx->config->load_address;
	u64 ram = loader_ram_size(ctx);
	int ret;

	if (!image->size) {
		loader_error_file(ctx, image->path, "image is empty");
		return -MOAT_ENOEXEC;
	}
	if (range_wraps(load, image->size) || load >= ram || image->size > ram - load) {
		loader_error_file(ctx, image->path, "0x%lx bytes at 0x%lx end past guest RAM (%s)",
				  image->size, load, loader_size_text(ram).text);
		return -MOAT_E2BIG;
	}
	if (ctx->config->entry >= ram) {
		loader_error_file(ctx, image->path, "entry 0x%lx is outside guest RAM (%s)",
				  ctx->config->entry, loader_size_text(ram).text);
		return -MOAT_EINVAL;
	}
	ret = loader_copy_to_guest(ctx, load, image->data, image->size);
	if (ret)
		return ret;
	*entry = (struct guest_entry_state){
		.mode = GUEST_ENTRY_PROTECTED32,
		.rip = ctx->config->entry,
		.rax = FLAT_ENTRY_MAGIC,
		.rbx = ram,
		.rsp = ram,
		.rflags = LOADER_ENTRY_RFLAGS,
	};
	return 0;
}
