/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The binary layouts of the handover structs (doc/ABI.md 6), each declared
 * once: offsets and sizes in bytes, shared by the decoders (schema_*.c,
 * block.c, vmalloc.c, the chain layouts of chain.c) and the encoders
 * (encode_schema.c). Not installed.
 * The tests keep their own constants, written from doc/ABI.md, so that a
 * slip here shows up as a disagreement rather than a shared mistake.
 */
#ifndef KHOFMT_ABI_LAYOUT_H
#define KHOFMT_ABI_LAYOUT_H

/* struct kho_kexec_metadata, packed (6.1) */
#define KM_VERSION_OFF		0
#define KM_RELEASE_OFF		4
#define KM_RELEASE_LEN		65	/* __NEW_UTS_LEN + 1 */
#define KM_COUNT_OFF		69
#define KM_SIZE			73

/* struct luo_ser, packed (6.2.1) */
#define LUO_COMPAT_OFF		0
#define LUO_COMPAT_LEN		8	/* "luo-v5" + NUL, rounded up to 8 */
#define LUO_NUM_OFF		8
#define LUO_SESSIONS_OFF	16
#define LUO_FLBS_OFF		24
#define LUO_SIZE		32

/* struct luo_session_ser, packed (6.2.1) */
#define LUO_SES_NAME_OFF	0
#define LUO_SES_NAME_LEN	64	/* LIVEUPDATE_SESSION_NAME_LENGTH */
#define LUO_SES_FILES_OFF	64
#define LUO_SES_COUNT_OFF	72
#define LUO_SES_SIZE		80

/* struct luo_file_ser, packed (6.2.1) */
#define LUO_FILE_COMPAT_OFF	0
#define LUO_FILE_COMPAT_LEN	48	/* LIVEUPDATE_HNDL_COMPAT_LENGTH */
#define LUO_FILE_DATA_OFF	48
#define LUO_FILE_TOKEN_OFF	56
#define LUO_FILE_SIZE		64

/* struct luo_flb_header_ser, then struct luo_flb_ser records (6.2.1) */
#define LUO_FLBH_PGCNT_OFF	0
#define LUO_FLBH_COUNT_OFF	8
#define LUO_FLBH_SIZE		16
#define LUO_FLB_NAME_OFF	0
#define LUO_FLB_NAME_LEN	48	/* LIVEUPDATE_FLB_COMPAT_LENGTH */
#define LUO_FLB_DATA_OFF	48
#define LUO_FLB_COUNT_OFF	56
#define LUO_FLB_SIZE		64

/* struct kho_block_header_ser, packed (6.3) */
#define BLK_NEXT_OFF		0
#define BLK_COUNT_OFF		8
#define BLK_HDR_SIZE		16

/* struct memfd_luo_ser, packed (6.4) */
#define MFD_POS_OFF		0
#define MFD_SIZE_OFF		8
#define MFD_SEALS_OFF		16
#define MFD_FLAGS_OFF		20
#define MFD_NR_FOLIOS_OFF	24
#define MFD_FOLIOS_OFF		32	/* struct kho_vmalloc */
#define MFD_REC_SIZE		48

/* struct memfd_luo_folio_ser, packed (6.4): pfn:52, flags:12, index */
#define MFD_FOLIO_PFNFLAGS_OFF	0
#define MFD_FOLIO_INDEX_OFF	8
#define MFD_FOLIO_SIZE		16
#define MFD_FOLIO_FLAGS_SHIFT	52

/* struct kho_vmalloc (6.5) and its chunk pages */
#define VM_FIRST_OFF		0
#define VM_TOTAL_OFF		8
#define VM_FLAGS_OFF		12
#define VM_ORDER_OFF		14
#define VM_DESC_SIZE		16
#define VM_CHUNK_NEXT_OFF	0
#define VM_CHUNK_SLOTS_OFF	8	/* u64 run starts follow the next pointer */
#define VM_RUN_SIZE		8

/* kho-v1 chunk (4.2.1): {next, u32 order, u32 num_elms}, then elements */
#define KV1_NEXT_OFF		0
#define KV1_ORDER_OFF		8
#define KV1_NUM_OFF		12
#define KV1_HDR_SIZE		16
#define KV1_ELM_SIZE		16	/* {u64 phys_start, u64 bitmap} */

/* x86 struct setup_data (1.2): {next, u32 type, u32 len}, then len bytes */
#define SD_NEXT_OFF		0
#define SD_TYPE_OFF		8
#define SD_LEN_OFF		12
#define SD_HDR_SIZE		16

#endif
