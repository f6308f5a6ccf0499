/* SPDX-License-Identifier: MIT */
/*
 * The retpoline thunks GCC calls for every indirect CALL and JMP in Moat's C code
 * (-mindirect-branch=thunk-extern -mindirect-branch-register, Makefile): the target is
 * reached by a RET whose prediction, from the CALL just made, is a speculation trap, so
 * no branch target a guest trained is ever followed (Intel "Retpoline: A Branch Target
 * Injection Mitigation"). docs/speculation.md says what they do and do not cover.
 */
	.text

.macro RETPOLINE_THUNK reg
	.globl __x86_indirect_thunk_\reg
	.hidden __x86_indirect_thunk_\reg
	.type __x86_indirect_thunk_\reg, @function
__x86_indirect_thunk_\reg:
	call .Lset_target_\reg
.Ltrap_\reg:
	pause
	lfence
	jmp .Ltrap_\reg
.Lset_target_\reg:
	movq %\reg, (%rsp)
	ret
	.size __x86_indirect_thunk_\reg, . - __x86_indirect_thunk_\reg
.endm

	RETPOLINE_THUNK rax
	RETPOLINE_THUNK rbx
	RETPOLINE_THUNK rcx
	RETPOLINE_THUNK rdx
	RETPOLINE_THUNK rsi
	RETPOLINE_THUNK rdi
	RETPOLINE_THUNK rbp
	RETPOLINE_THUNK r8
	RETPOLINE_THUNK r9
	RETPOLINE_THUNK r10
	RETPOLINE_THUNK r11
	RETPOLINE_THUNK r12
	RETPOLINE_THUNK r13
	RETPOLINE_THUNK r14
	RETPOLINE_THUNK r15
	.section .note.GNU-stack,"",@progbits
