// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Kernel image containers for the compat tests, written from the boot
 * protocol documents, not from libkhofmt (independent of image.c):
 *
 *   mkimage wrap FORMAT COMP IN OUT
 *       FORMAT: bzimage (x86 setup header, payload_offset/length, size
 *       appended like arch/x86/boot/compressed), zboot (EFI zboot "zimg"
 *       header, drivers/firmware/efi/libstub/zboot-header.S), arm64 (the
 *       64-byte arm64 Image header in front of IN, then COMP over the
 *       whole: Image.gz when COMP is gzip), plain (COMP over IN);
 *       COMP: none gzip xz lzma zstd lz4 (the kernel's legacy framing) bzip2
 *   mkimage extract IN OUT
 *       the decompressed payload of a bzImage (xz, gzip or zstd), for
 *       deriving fixtures from a real kernel.
 *
 * Compression through the same Debian libraries (their encoders).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bzlib.h>
#include <lz4.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

static void die(const char *m)
{
	fprintf(stderr, "mkimage: %s\n", m);
	exit(1);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b = NULL;
	size_t cap = 0, n = 0, r;

	if (!f)
		die("cannot open input");
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 1 << 20;
			b = realloc(b, cap);
			if (!b)
				die("out of memory");
		}
		r = fread(b + n, 1, cap - n, f);
		if (!r)
			break;
		n += r;
	}
	fclose(f);
	*len = n;
	return b;
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = v >> 24;
}

static uint32_t get32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Compress @in into a new buffer. */
static unsigned char *pack(const char *comp, const unsigned char *in,
			       size_t len, size_t *olen)
{
	size_t cap = len + len / 2 + (1 << 16);
	unsigned char *out = malloc(cap);

	if (!out)
		die("out of memory");
	if (!strcmp(comp, "none")) {
		memcpy(out, in, len);
		*olen = len;
	} else if (!strcmp(comp, "gzip")) {
		z_stream z;

		memset(&z, 0, sizeof(z));
		if (deflateInit2(&z, 9, Z_DEFLATED, 16 + 15, 9, Z_DEFAULT_STRATEGY) != Z_OK)
			die("deflateInit2");
		z.next_in = (unsigned char *)in;
		z.avail_in = (uInt)len;
		z.next_out = out;
		z.avail_out = (uInt)cap;
		if (deflate(&z, Z_FINISH) != Z_STREAM_END)
			die("deflate");
		*olen = z.total_out;
		deflateEnd(&z);
	} else if (!strcmp(comp, "xz")) {
		size_t pos = 0;

		if (lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL, in, len, out,
					    &pos, cap) != LZMA_OK)
			die("xz");
		*olen = pos;
	} else if (!strcmp(comp, "lzma")) {
		lzma_stream z = LZMA_STREAM_INIT;
		lzma_options_lzma o;

		lzma_lzma_preset(&o, 6);
		if (lzma_alone_encoder(&z, &o) != LZMA_OK)
			die("lzma_alone_encoder");
		z.next_in = in;
		z.avail_in = len;
		z.next_out = out;
		z.avail_out = cap;
		if (lzma_code(&z, LZMA_FINISH) != LZMA_STREAM_END)
			die("lzma");
		*olen = z.total_out;
		lzma_end(&z);
	} else if (!strcmp(comp, "zstd")) {
		size_t r = ZSTD_compress(out, cap, in, len, 19);

		if (ZSTD_isError(r))
			die("zstd");
		*olen = r;
	} else if (!strcmp(comp, "lz4")) {
		/* lib/decompress_unlz4.c: magic, then (u32 size, block) per 8 MiB */
		size_t pos = 4, off = 0, chunk = 8u << 20;

		put32(out, 0x184C2102u);
		while (off < len) {
			size_t n = len - off < chunk ? len - off : chunk;
			int c = LZ4_compress_default((const char *)in + off,
						     (char *)out + pos + 4, (int)n,
						     (int)(cap - pos - 4));

			if (c <= 0)
				die("lz4");
			put32(out + pos, (uint32_t)c);
			pos += 4 + (size_t)c;
			off += n;
		}
		*olen = pos;
	} else if (!strcmp(comp, "bzip2")) {
		unsigned int o = (unsigned int)cap;

		if (BZ2_bzBuffToBuffCompress((char *)out, &o, (char *)in,
					     (unsigned int)len, 9, 0, 0) != BZ_OK)
			die("bzip2");
		*olen = o;
	} else {
		die("unknown compression");
	}
	return out;
}

static void spit(const char *path, const unsigned char *b, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(b, 1, n, f) != n || fclose(f))
		die("cannot write output");
}

static int wrap(const char *fmt, const char *comp, const char *inp,
		const char *outp)
{
	size_t len, clen, total, poff;
	unsigned char *in = slurp(inp, &len), *c, *img;

	if (!strcmp(fmt, "arm64")) {
		/* arm64 Image header (Documentation/arch/arm64/booting.rst) */
		unsigned char *a = calloc(1, len + 64);

		if (!a)
			die("out of memory");
		a[0] = 0x4d; a[1] = 0x5a;               /* code0: "MZ" (EFI) */
		put32(a + 0x38, 0x644d5241u);          /* "ARM\x64" */
		memcpy(a + 64, in, len);
		free(in);
		in = a;
		len += 64;
	}
	c = pack(comp, in, len, &clen);
	if (!strcmp(fmt, "plain") || !strcmp(fmt, "arm64")) {
		spit(outp, c, clen);
	} else if (!strcmp(fmt, "bzimage")) {
		/* Documentation/arch/x86/boot.rst: setup_sects = 1 -> protected-mode
		 * code at 1024; payload 0x200 bytes into it; 4-byte size appended */
		poff = 0x200;
		total = 1024 + poff + clen + 4;
		img = calloc(1, total);
		if (!img)
			die("out of memory");
		img[0x1f1] = 1;
		img[0x1fe] = 0x55; img[0x1ff] = 0xaa;
		memcpy(img + 0x202, "HdrS", 4);
		img[0x206] = 0x0f; img[0x207] = 0x02;   /* protocol 2.15 */
		put32(img + 0x248, (uint32_t)poff);
		put32(img + 0x24c, (uint32_t)clen + 4);
		memcpy(img + 1024 + poff, c, clen);
		put32(img + 1024 + poff + clen, (uint32_t)len);
		spit(outp, img, total);
		free(img);
	} else if (!strcmp(fmt, "zboot")) {
		poff = 0x1000;
		total = poff + clen + 4;
		img = calloc(1, total);
		if (!img)
			die("out of memory");
		img[0] = 'M'; img[1] = 'Z';
		memcpy(img + 4, "zimg", 4);
		put32(img + 8, (uint32_t)poff);
		put32(img + 12, (uint32_t)clen);
		snprintf((char *)img + 24, 32, "%s", comp);
		put32(img + 0x38, 0x818223cdu);        /* LINUX_PE_MAGIC */
		put32(img + 0x3c, 0x40);               /* PE header offset */
		memcpy(img + 0x40, "PE\0\0", 4);
		memcpy(img + poff, c, clen);
		put32(img + poff + clen, (uint32_t)len);
		spit(outp, img, total);
		free(img);
	} else {
		die("unknown format");
	}
	free(c);
	free(in);
	return 0;
}

/* A bzImage's payload, decompressed (xz, gzip or zstd: what builds use). */
static int extract(const char *inp, const char *outp)
{
	size_t len, olen = 0, cap = 256u << 20;
	unsigned char *in = slurp(inp, &len), *p, *out = malloc(cap);
	uint32_t off, plen;

	if (!out || len < 0x250 || memcmp(in + 0x202, "HdrS", 4))
		die("not a bzImage");
	off = (uint32_t)((in[0x1f1] ? in[0x1f1] : 4) + 1) * 512 + get32(in + 0x248);
	plen = get32(in + 0x24c);
	if (off > len || plen > len - off)
		die("payload outside the file");
	p = in + off;
	if (p[0] == 0xfd) {
		size_t ip = 0;
		uint64_t memlimit = UINT64_MAX;

		if (lzma_stream_buffer_decode(&memlimit, 0, NULL, p, &ip, plen, out,
					      &olen, cap) != LZMA_OK)
			die("xz decode");
	} else if (p[0] == 0x1f) {
		z_stream z;

		memset(&z, 0, sizeof(z));
		inflateInit2(&z, 16 + 15);
		z.next_in = p;
		z.avail_in = plen;
		z.next_out = out;
		z.avail_out = (uInt)cap;
		if (inflate(&z, Z_FINISH) != Z_STREAM_END)
			die("gzip decode");
		olen = z.total_out;
	} else if (get32(p) == 0xFD2FB528u) {
		size_t r = ZSTD_decompress(out, cap, p, plen - 4);

		if (ZSTD_isError(r))
			die("zstd decode");
		olen = r;
	} else {
		die("payload compression not handled here");
	}
	spit(outp, out, olen);
	free(out);
	free(in);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "wrap"))
		return wrap(argv[2], argv[3], argv[4], argv[5]);
	if (argc == 4 && !strcmp(argv[1], "extract"))
		return extract(argv[2], argv[3]);
	fprintf(stderr, "usage: mkimage wrap FORMAT COMP IN OUT | extract IN OUT\n");
	return 64;
}
