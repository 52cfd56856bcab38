/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Test-only ELF core builders, written from <elf.h> alone (no libelf, no
 * libkhofmt), shared by the unit tests and tests/gen/mkkcore: the header
 * of an x86_64 little-endian ET_CORE whose program headers follow it, and
 * the segments of an x86_64 /proc/kcore that are not the direct map.
 */
#ifndef KHO_TESTS_ELFUTIL_H
#define KHO_TESTS_ELFUTIL_H

#include <elf.h>
#include <stdint.h>
#include <string.h>

/* x86_64 (4-level paging) virtual addresses of /proc/kcore's segments */
#define KCORE_PAGE_OFFSET 0xffff888000000000ull /* the direct map */
#define KCORE_VMALLOC 0xffffc90000000000ull
#define KCORE_VMEMMAP 0xffffea0000000000ull
#define KCORE_KTEXT 0xffffffff81000000ull       /* __START_KERNEL_map */
/* kcore segments before the direct map, see kcore_other_phdrs() */
#define KCORE_NOTHER 3

/* An ELF64 x86_64 little-endian ET_CORE header, @phnum phdrs right after it. */
static inline void elf_core_ehdr(Elf64_Ehdr *eh, unsigned phnum)
{
	memset(eh, 0, sizeof(*eh));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_CORE;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = (Elf64_Half)phnum;
}

/* A one-page PT_LOAD at file offset @off. */
static inline void elf_page_phdr(Elf64_Phdr *ph, uint64_t off, uint64_t vaddr,
				 uint64_t paddr)
{
	memset(ph, 0, sizeof(*ph));
	ph->p_type = PT_LOAD;
	ph->p_flags = PF_R | PF_W | PF_X;
	ph->p_offset = off;
	ph->p_vaddr = vaddr;
	ph->p_paddr = paddr;
	ph->p_filesz = ph->p_memsz = 4096;
	ph->p_align = 4096;
}

/*
 * The KCORE_NOTHER one-page segments /proc/kcore has besides the direct
 * map, at file offsets @off, @off + 4096, ...:
 *  - vmalloc: p_paddr = -1;
 *  - vmemmap as older kernels wrote it: p_paddr = 0;
 *  - kernel text: a real p_paddr (@text_paddr, a RAM page) but
 *    p_vaddr = KCORE_KTEXT + p_paddr, another vaddr - paddr delta.
 */
static inline void kcore_other_phdrs(Elf64_Phdr ph[KCORE_NOTHER], uint64_t off,
				     uint64_t text_paddr)
{
	elf_page_phdr(&ph[0], off, KCORE_VMALLOC, ~0ull);
	elf_page_phdr(&ph[1], off + 4096, KCORE_VMEMMAP, 0);
	elf_page_phdr(&ph[2], off + 2 * 4096, KCORE_KTEXT + text_paddr, text_paddr);
}

#endif /* KHO_TESTS_ELFUTIL_H */
