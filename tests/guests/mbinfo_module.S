/* SPDX-License-Identifier: MIT */
/* The expected contents of the mbinfo guest's module: the very file Moat is given
 * (tests/guests/module.txt, found through the assembler's include path). */

	.section .rodata
	.globl mbinfo_expected_module
	.globl mbinfo_expected_module_end
mbinfo_expected_module:
	.incbin "module.txt"
mbinfo_expected_module_end:

	.section .note.GNU-stack, "", @progbits
