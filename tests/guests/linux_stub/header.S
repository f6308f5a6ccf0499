/* SPDX-License-Identifier: MIT */
/* linux-stub: the setup header of a tiny synthetic bzImage (Documentation/arch/x86/boot.rst,
 * protocol 2.15) and its 64-bit entry at load address + 0x200. There is no real-mode code:
 * Moat only ever enters the 64-bit way. The linker script computes syssize and init_size. */

#define SETUP_SECTS 4
#define BOOT_FLAG 0xaa55
#define PROTOCOL_VERSION 0x020f
#define LOADFLAGS_LOADED_HIGH 0x01
#define INITRD_ADDR_MAX 0x7fffffff
#define KERNEL_ALIGNMENT 0x200000
#define XLF_KERNEL_64 0x01
#define CMDLINE_SIZE 2047
#define PREF_ADDRESS 0x1000000

	.section .setup, "a"
	.org 0x1f1
	.byte SETUP_SECTS		/* 0x1f1 setup_sects */
	.word 0				/* 0x1f2 root_flags */
	.long linux_stub_syssize	/* 0x1f4 syssize */
	.word 0, 0, 0			/* 0x1f8 ram_size, vid_mode, root_dev */
	.word BOOT_FLAG			/* 0x1fe boot_flag */
	.byte 0xeb			/* 0x200 jump: a short JMP over the header */
	.byte header_end - header_start
header_start:
	.ascii "HdrS"			/* 0x202 header */
	.word PROTOCOL_VERSION		/* 0x206 version */
	.long 0				/* 0x208 realmode_swtch */
	.word 0, 0			/* 0x20c start_sys_seg, kernel_version */
	.byte 0				/* 0x210 type_of_loader */
	.byte LOADFLAGS_LOADED_HIGH	/* 0x211 loadflags */
	.word 0				/* 0x212 setup_move_size */
	.long PREF_ADDRESS		/* 0x214 code32_start */
	.long 0, 0			/* 0x218 ramdisk_image, ramdisk_size */
	.long 0				/* 0x220 bootsect_kludge */
	.word 0				/* 0x224 heap_end_ptr */
	.byte 0, 0			/* 0x226 ext_loader_ver, ext_loader_type */
	.long 0				/* 0x228 cmd_line_ptr */
	.long INITRD_ADDR_MAX		/* 0x22c initrd_addr_max */
	.long KERNEL_ALIGNMENT		/* 0x230 kernel_alignment */
	.byte 1				/* 0x234 relocatable_kernel */
	.byte 21			/* 0x235 min_alignment: log2 of 2 MiB */
	.word XLF_KERNEL_64		/* 0x236 xloadflags */
	.long CMDLINE_SIZE		/* 0x238 cmdline_size */
	.long 0				/* 0x23c hardware_subarch */
	.quad 0				/* 0x240 hardware_subarch_data */
	.long 0, 0			/* 0x248 payload_offset, payload_length */
	.quad 0				/* 0x250 setup_data */
	.quad PREF_ADDRESS		/* 0x258 pref_address */
	.long linux_stub_init_size	/* 0x260 init_size */
	.long 0				/* 0x264 handover_offset */
	.long 0				/* 0x268 kernel_info_offset */
header_end:
	.org SETUP_SECTS * 512 + 512 - 1
	.byte 0

	.section .head64, "ax"
	.code64
	/* Offset 0 would be the 32-bit entry: never used, so it stops the guest. */
	ud2
	.org 0x200
	.globl linux_stub_entry64
linux_stub_entry64:
	/* boot.rst gives no stack; RSI (boot_params) is the first argument. */
	leaq linux_stub_stack_top(%rip), %rsp
	movq %rsi, %rdi
	call linux_stub_main
1:	cli
	hlt
	jmp 1b

	.section .bss
	.balign 16
	.skip 8192
linux_stub_stack_top:
