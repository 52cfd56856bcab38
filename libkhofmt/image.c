// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Kernel images as given to kexec: find the container (bzImage setup
 * header, EFI zboot header, arm64 Image header, a compressed file, ELF),
 * decompress the payload through Debian's libraries, and stream the bytes
 * through one scanner that looks at every NUL-terminated printable string
 * (the kernel's string literals): the strings asked for, the versioned KHO
 * stems and the "Linux version" banner. Then, for strings not in the
 * kernel, the modules the caller named, in SYSROOT/lib/modules/RELEASE
 * (SYSROOT/usr/lib/modules/RELEASE when that is missing: an unpacked package).
 *
 * Hand-written here: the container headers (no library reads them) and the
 * kernel's legacy LZ4 framing (liblz4 decodes its blocks, not that frame).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include <bzlib.h>
#include <lz4.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include <nettle/sha2.h>

#include "internal.h"
#include "dl_int.h"

#define IMG_WINDOW (1u << 20)  /* scan window */
#define IMG_CARRY 512u         /* bytes kept between windows (> longest token) */
#define IMG_MAX_STR 200u       /* longest string looked at */
#define IMG_MAX_TOKENS 128u
#define IMG_MAX_MODFILES 200000u /* directory entries walked for modules */
#define IMG_MAX_DEPTH 8u
#define LZ4_LEGACY_MAGIC 0x184C2102u
#define LZ4_LEGACY_BLOCK (8u << 20)

/* The versioned stems of doc/ABI.md (all "<stem>-v<digits>"). */
static const char *const img_stems[] = {
	"kho", "luo", "luo-session", "luo-flb", "memfd", "memblock",
	"reserve-mem", "reserve-mem-map", "kho-test", "kexec-metadata",
	"liveupdate-test-flb",
};

struct img_want {
	char *str;
	char *module;
	size_t len;
	enum khofmt_image_where where;
	char *module_path;
	bool skip;      /* empty or too long: never found */
};

struct khofmt_image {
	struct khofmt_image_info info;
	struct img_want *wants;
	size_t nwants;
	char *tokens[IMG_MAX_TOKENS];
	size_t ntokens;
};

/* The streaming scanner: one per decompressed stream. */
struct img_scan {
	struct khofmt_image *img;
	bool module;            /* scanning a module: wants only, into @mod */
	const char *mod;        /* its path */
	unsigned char *buf;     /* IMG_CARRY + IMG_WINDOW */
	size_t fill;            /* bytes in buf */
	uint64_t total, max;
	bool banner_done;
	unsigned char head[64]; /* the first bytes (format of the payload) */
	size_t nhead;
	char *err;
	size_t errlen;
};

KHOFMT_API const char *khofmt_image_format_name(enum khofmt_image_format f)
{
	static const char *const n[] = {
		[KHOFMT_IMAGE_UNKNOWN] = "unknown", [KHOFMT_IMAGE_BZIMAGE] = "bzImage",
		[KHOFMT_IMAGE_ARM64] = "arm64-Image", [KHOFMT_IMAGE_ZBOOT] = "zboot",
		[KHOFMT_IMAGE_COMPRESSED] = "compressed", [KHOFMT_IMAGE_ELF] = "elf",
		[KHOFMT_IMAGE_RAW] = "raw",
	};

	return (unsigned)f < sizeof(n) / sizeof(n[0]) ? n[f] : "unknown";
}

KHOFMT_API const char *khofmt_image_comp_name(enum khofmt_image_comp c)
{
	static const char *const n[] = {
		[KHOFMT_COMP_NONE] = "none", [KHOFMT_COMP_GZIP] = "gzip",
		[KHOFMT_COMP_XZ] = "xz", [KHOFMT_COMP_LZMA] = "lzma",
		[KHOFMT_COMP_ZSTD] = "zstd", [KHOFMT_COMP_LZ4] = "lz4",
		[KHOFMT_COMP_BZIP2] = "bzip2", [KHOFMT_COMP_LZO] = "lzo",
	};

	return (unsigned)c < sizeof(n) / sizeof(n[0]) ? n[c] : "unknown";
}

KHOFMT_API const char *khofmt_image_where_name(enum khofmt_image_where w)
{
	return w == KHOFMT_IMAGE_IN_KERNEL ? "kernel" :
	       w == KHOFMT_IMAGE_IN_MODULE ? "module" : "absent";
}

/* ---- the scanner ---- */

static bool ident_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c == ',' ||
	       c == '.';
}

static bool text_char(unsigned char c)
{
	return (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t';
}

static int token_add(struct khofmt_image *img, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < img->ntokens; i++)
		if (strlen(img->tokens[i]) == len && !memcmp(img->tokens[i], s, len))
			return 0;
	if (img->ntokens == IMG_MAX_TOKENS)
		return 0; /* more than any kernel has: keep the first */
	img->tokens[img->ntokens] = strndup(s, len);
	if (!img->tokens[img->ntokens])
		return -KHOFMT_ERR_NOMEM;
	img->ntokens++;
	return 0;
}

/*
 * The string s[0, len) ended by a NUL: does it end with a want (after a
 * non-identifier byte or at its start: the literal itself, or the tail a
 * linker merged it into), or a "<stem>-v<digits>" token?
 */
static int scan_string(struct img_scan *sc, const unsigned char *s, size_t len)
{
	struct khofmt_image *img = sc->img;
	size_t i, d, k;

	for (i = 0; i < img->nwants; i++) {
		struct img_want *w = &img->wants[i];

		if (w->skip || w->len > len || w->where == KHOFMT_IMAGE_IN_KERNEL ||
		    (sc->module && w->where != KHOFMT_IMAGE_ABSENT))
			continue;
		if (memcmp(s + len - w->len, w->str, w->len))
			continue;
		if (w->len < len && ident_char(s[len - w->len - 1]))
			continue;
		if (sc->module) {
			w->where = KHOFMT_IMAGE_IN_MODULE;
			w->module_path = strdup(sc->mod);
			if (!w->module_path)
				return -KHOFMT_ERR_NOMEM;
		} else {
			w->where = KHOFMT_IMAGE_IN_KERNEL;
		}
	}
	if (sc->module)
		return 0;
	/* "<stem>-v<digits>" at the end */
	for (d = 0; d < len && s[len - 1 - d] >= '0' && s[len - 1 - d] <= '9'; d++)
		;
	if (!d || d > 6 || len < d + 3 || s[len - d - 1] != 'v' ||
	    s[len - d - 2] != '-')
		return 0;
	for (k = 0; k < sizeof(img_stems) / sizeof(img_stems[0]); k++) {
		size_t sl = strlen(img_stems[k]), tl = sl + 2 + d;

		if (tl > len || memcmp(s + len - tl, img_stems[k], sl))
			continue;
		if (tl < len && ident_char(s[len - tl - 1]))
			continue;
		return token_add(img, (const char *)s + len - tl, tl);
	}
	return 0;
}

static void scan_banner(struct img_scan *sc, const unsigned char *p, size_t n,
			bool final)
{
	static const char tag[] = "Linux version ";
	struct khofmt_image_info *in = &sc->img->info;
	const unsigned char *q = p;
	size_t i, j, rest;

	while (!sc->banner_done && (q = memmem(q, n - (size_t)(q - p), tag,
					       sizeof(tag) - 1))) {
		rest = n - (size_t)(q - p);
		i = sizeof(tag) - 1;
		/* the banner proper: a release starting with a digit */
		if (rest <= i || q[i] < '0' || q[i] > '9') {
			q += 1;
			continue;
		}
		for (j = 0; j < rest && j < sizeof(in->banner) - 1 &&
			    q[j] >= 0x20 && q[j] < 0x7f; j++)
			in->banner[j] = (char)q[j];
		/* cut by the window: the carried bytes show it whole next time */
		if (j == rest && !final)
			return;
		in->banner[j] = '\0';
		for (j = 0; i + j < rest && j < sizeof(in->release) - 1 &&
			    q[i + j] > 0x20 && q[i + j] < 0x7f; j++)
			in->release[j] = (char)q[i + j];
		in->release[j] = '\0';
		sc->banner_done = true;
	}
}

/*
 * Scan buf[0, fill): every maximal run of text bytes followed by a NUL.
 * Unless @final, the last IMG_CARRY bytes are kept for the next window
 * (a string cut by the window end is seen whole there; strings seen twice
 * are idempotent).
 */
static int scan_window(struct img_scan *sc, bool final)
{
	unsigned char *b = sc->buf;
	size_t n = sc->fill, i = 0, start, keep;
	int r;

	if (!sc->module && !sc->banner_done)
		scan_banner(sc, b, n, final);
	while (i < n) {
		unsigned char *z = memchr(b + i, 0, n - i);

		if (!z)
			break;
		start = (size_t)(z - b);
		/* walk back over the text run before the NUL */
		{
			size_t s = start;

			while (s > i && start - s < IMG_MAX_STR && text_char(b[s - 1]))
				s--;
			if (start > s && start - s >= 2) {
				r = scan_string(sc, b + s, start - s);
				if (r)
					return r;
			}
		}
		i = start + 1;
	}
	if (final)
		return 0;
	keep = n < IMG_CARRY ? n : IMG_CARRY;
	memmove(b, b + n - keep, keep);
	sc->fill = keep;
	return 0;
}

/* Feed decompressed bytes. */
static int scan_feed(struct img_scan *sc, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t take;
	int r;

	if (sc->total + len > sc->max || sc->total + len < sc->total) {
		khofmt_setmsg(sc->err, sc->errlen,
			      "more than %llu bytes after decompression (the bound)",
			      (unsigned long long)sc->max);
		return -KHOFMT_ERR_LIMIT;
	}
	if (sc->nhead < sizeof(sc->head)) {
		take = sizeof(sc->head) - sc->nhead;
		if (take > len)
			take = len;
		memcpy(sc->head + sc->nhead, p, take);
		sc->nhead += take;
	}
	sc->total += len;
	while (len) {
		take = IMG_CARRY + IMG_WINDOW - sc->fill;
		if (take > len)
			take = len;
		memcpy(sc->buf + sc->fill, p, take);
		sc->fill += take;
		p += take;
		len -= take;
		if (sc->fill == IMG_CARRY + IMG_WINDOW) {
			r = scan_window(sc, false);
			if (r)
				return r;
		}
	}
	return 0;
}

/* ---- decompressors: all stream into scan_feed ---- */

static enum khofmt_image_comp comp_detect(const unsigned char *p, size_t n)
{
	if (n >= 3 && p[0] == 0x1f && p[1] == 0x8b && p[2] == 8)
		return KHOFMT_COMP_GZIP;
	if (n >= 6 && !memcmp(p, "\xfd" "7zXZ\0", 6))
		return KHOFMT_COMP_XZ;
	if (n >= 4 && ld_le32(p) == 0xFD2FB528u)
		return KHOFMT_COMP_ZSTD;
	if (n >= 4 && ld_le32(p) == LZ4_LEGACY_MAGIC)
		return KHOFMT_COMP_LZ4;
	if (n >= 4 && p[0] == 'B' && p[1] == 'Z' && p[2] == 'h' &&
	    p[3] >= '1' && p[3] <= '9')
		return KHOFMT_COMP_BZIP2;
	if (n >= 4 && !memcmp(p, "\x89LZO", 4))
		return KHOFMT_COMP_LZO;
	/* .lzma (lzma_alone): properties byte 0x5d, dictionary, then size */
	if (n >= 13 && p[0] == 0x5d && p[1] == 0 && p[2] == 0)
		return KHOFMT_COMP_LZMA;
	return KHOFMT_COMP_NONE;
}

static int trunc_err(struct img_scan *sc, const char *what)
{
	khofmt_setmsg(sc->err, sc->errlen, "%s stream ends early (truncated payload)", what);
	return -KHOFMT_ERR_TRUNCATED;
}

static int bad_err(struct img_scan *sc, const char *what, const char *detail)
{
	khofmt_setmsg(sc->err, sc->errlen, "%s stream is corrupt: %s", what, detail);
	return -KHOFMT_ERR_STRUCT;
}

/*
 * The decompressors but zlib (libelf needs it anyway) are loaded with
 * dlopen() when an image compressed with them is read (issue 20): four
 * libraries that every khoctl run mapped and relocated (~0.2 ms, ~340 KiB
 * of RSS) for the few that read a kernel image. configure found their
 * sonames (KHO_SONAME) and defines KHOFMT_COMP_DLOPEN for the shared
 * library; the static builds (kexec-static, the test guest) compile this
 * file without it and call the libraries directly. Each call loads what it
 * needs and releases its handle (no global state; RTLD_NODELETE keeps the
 * library mapped once loaded); a library that cannot be loaded
 * makes that image unreadable (-KHOFMT_ERR_UNSUPPORTED, the loader's words
 * in the message), nothing else.
 */
#ifdef KHOFMT_COMP_DLOPEN
#define COMP_FN(f) __typeof__(&f) f
static void *comp_load(struct img_scan *sc, const char *soname, const char *what,
		       const struct khofmt_dl_sym *syms, size_t n, void *fns, int *err)
{
	char why[256];
	void *dl = khofmt_dl_open(soname, syms, n, fns, why, sizeof(why));

	*err = 0;
	if (!dl) {
		khofmt_setmsg(sc->err, sc->errlen, "%s image: %s cannot be loaded: %s",
			      what, soname, why);
		*err = -KHOFMT_ERR_UNSUPPORTED;
	}
	return dl;
}

static void comp_unload(void *dl)
{
	if (dl)
		dlclose(dl);
}
#define COMP_LOAD(sc, soname, what, names, fns, err) \
	comp_load(sc, soname, what, names, sizeof(names) / sizeof(names[0]), fns, err)
#else
#define COMP_FN(f) __typeof__(&f) f
#define COMP_LOAD(sc, soname, what, names, fns, err) (*(err) = 0, (void *)0)
static void comp_unload(void *dl)
{
	(void)dl;
}
#endif

/* The functions of each library, in the order of their names. */
struct lzma_fns {
	COMP_FN(lzma_alone_decoder);
	COMP_FN(lzma_stream_decoder);
	COMP_FN(lzma_code);
	COMP_FN(lzma_end);
};
struct zstd_fns {
	COMP_FN(ZSTD_createDStream);
	COMP_FN(ZSTD_DCtx_setParameter);
	COMP_FN(ZSTD_decompressStream);
	COMP_FN(ZSTD_isError);
	COMP_FN(ZSTD_getErrorName);
	COMP_FN(ZSTD_freeDStream);
};
struct lz4_fns {
	COMP_FN(LZ4_compressBound);
	COMP_FN(LZ4_decompress_safe);
};
struct bz2_fns {
	COMP_FN(BZ2_bzDecompressInit);
	COMP_FN(BZ2_bzDecompress);
	COMP_FN(BZ2_bzDecompressEnd);
};
#ifdef KHOFMT_COMP_DLOPEN
#define SYM(t, f) KHOFMT_DL_SYM(struct t, f, f)
static const struct khofmt_dl_sym lzma_names[] = {
	SYM(lzma_fns, lzma_alone_decoder), SYM(lzma_fns, lzma_stream_decoder),
	SYM(lzma_fns, lzma_code), SYM(lzma_fns, lzma_end),
};
static const struct khofmt_dl_sym zstd_names[] = {
	SYM(zstd_fns, ZSTD_createDStream), SYM(zstd_fns, ZSTD_DCtx_setParameter),
	SYM(zstd_fns, ZSTD_decompressStream), SYM(zstd_fns, ZSTD_isError),
	SYM(zstd_fns, ZSTD_getErrorName), SYM(zstd_fns, ZSTD_freeDStream),
};
static const struct khofmt_dl_sym lz4_names[] = {
	SYM(lz4_fns, LZ4_compressBound), SYM(lz4_fns, LZ4_decompress_safe),
};
static const struct khofmt_dl_sym bz2_names[] = {
	SYM(bz2_fns, BZ2_bzDecompressInit), SYM(bz2_fns, BZ2_bzDecompress),
	SYM(bz2_fns, BZ2_bzDecompressEnd),
};
#undef SYM
#define LZMA_INIT { 0 }
#define ZSTD_INIT { 0 }
#define LZ4_INIT { 0 }
#define BZ2_INIT { 0 }
#else
#define LZMA_INIT { lzma_alone_decoder, lzma_stream_decoder, lzma_code, lzma_end }
#define ZSTD_INIT { ZSTD_createDStream, ZSTD_DCtx_setParameter, ZSTD_decompressStream, \
		    ZSTD_isError, ZSTD_getErrorName, ZSTD_freeDStream }
#define LZ4_INIT { LZ4_compressBound, LZ4_decompress_safe }
#define BZ2_INIT { BZ2_bzDecompressInit, BZ2_bzDecompress, BZ2_bzDecompressEnd }
#endif

static int gunzip(struct img_scan *sc, const unsigned char *in, size_t len,
		  unsigned char *out)
{
	z_stream z;
	int zr, r = 0;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return -KHOFMT_ERR_NOMEM;
	z.next_in = (unsigned char *)in;
	z.avail_in = len > UINT32_MAX ? UINT32_MAX : (uInt)len;
	do {
		z.next_out = out;
		z.avail_out = IMG_WINDOW;
		zr = inflate(&z, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END) {
			r = zr == Z_BUF_ERROR ? trunc_err(sc, "gzip") :
			    zr == Z_MEM_ERROR ? -KHOFMT_ERR_NOMEM :
			    bad_err(sc, "gzip", z.msg ? z.msg : "inflate failed");
			break;
		}
		r = scan_feed(sc, out, IMG_WINDOW - z.avail_out);
		if (r)
			break;
		if (zr != Z_STREAM_END && !z.avail_in && z.avail_out) {
			r = trunc_err(sc, "gzip");
			break;
		}
	} while (zr != Z_STREAM_END);
	inflateEnd(&z);
	return r;
}

static int unxz(struct img_scan *sc, const unsigned char *in, size_t len,
		unsigned char *out, bool alone)
{
	lzma_stream z = LZMA_STREAM_INIT;
	const char *what = alone ? "lzma" : "xz";
	struct lzma_fns f = LZMA_INIT;
	lzma_ret lr;
	void *dl;
	int r = 0;

	dl = COMP_LOAD(sc, KHOFMT_LZMA_SONAME, what, lzma_names, &f, &r);
	if (r)
		return r;
	lr = alone ? f.lzma_alone_decoder(&z, 256u << 20) :
		     f.lzma_stream_decoder(&z, 256u << 20, 0);
	if (lr != LZMA_OK) {
		comp_unload(dl);
		return -KHOFMT_ERR_NOMEM;
	}
	z.next_in = in;
	z.avail_in = len;
	do {
		z.next_out = out;
		z.avail_out = IMG_WINDOW;
		lr = f.lzma_code(&z, LZMA_FINISH);
		if (lr != LZMA_OK && lr != LZMA_STREAM_END) {
			r = lr == LZMA_BUF_ERROR ? trunc_err(sc, what) :
			    lr == LZMA_MEM_ERROR ? -KHOFMT_ERR_NOMEM :
			    lr == LZMA_MEMLIMIT_ERROR ?
				    bad_err(sc, what, "dictionary beyond 256 MiB") :
			    bad_err(sc, what, lr == LZMA_DATA_ERROR ? "data error" :
					      lr == LZMA_FORMAT_ERROR ? "format error" :
					      "decoder error");
			break;
		}
		r = scan_feed(sc, out, IMG_WINDOW - z.avail_out);
		if (r)
			break;
	} while (lr != LZMA_STREAM_END);
	f.lzma_end(&z);
	comp_unload(dl);
	return r;
}

static int unzstd(struct img_scan *sc, const unsigned char *in, size_t len,
		  unsigned char *out)
{
	struct zstd_fns f = ZSTD_INIT;
	ZSTD_inBuffer ib = { in, len, 0 };
	ZSTD_DStream *z;
	size_t zr = 1;
	void *dl;
	int r = 0;

	dl = COMP_LOAD(sc, KHOFMT_ZSTD_SONAME, "zstd", zstd_names, &f, &r);
	if (r)
		return r;
	z = f.ZSTD_createDStream();
	if (!z) {
		comp_unload(dl);
		return -KHOFMT_ERR_NOMEM;
	}
	/* the kernel's zstd -22 uses a 128 MiB window at most (2^27) */
	f.ZSTD_DCtx_setParameter(z, ZSTD_d_windowLogMax, 27);
	while (zr) {
		ZSTD_outBuffer ob = { out, IMG_WINDOW, 0 };

		zr = f.ZSTD_decompressStream(z, &ob, &ib);
		if (f.ZSTD_isError(zr)) {
			r = bad_err(sc, "zstd", f.ZSTD_getErrorName(zr));
			break;
		}
		r = scan_feed(sc, out, ob.pos);
		if (r)
			break;
		if (zr && ib.pos == ib.size && ob.pos < ob.size) {
			r = trunc_err(sc, "zstd");
			break;
		}
	}
	f.ZSTD_freeDStream(z);
	comp_unload(dl);
	return r;
}

/*
 * The kernel's LZ4 (lib/decompress_unlz4.c): a u32 magic, then blocks of
 * u32 compressed size + data, each at most 8 MiB decompressed; another
 * magic may start a new stream; 4 bytes or fewer left (the appended size)
 * end it.
 */
static int unlz4(struct img_scan *sc, const unsigned char *in, size_t len)
{
	struct lz4_fns f = LZ4_INIT;
	size_t pos = 4, blocks = 0;
	unsigned char *out;
	uint32_t csz;
	void *dl;
	int n, r = 0;

	dl = COMP_LOAD(sc, KHOFMT_LZ4_SONAME, "lz4", lz4_names, &f, &r);
	if (r)
		return r;
	out = malloc(LZ4_LEGACY_BLOCK);
	if (!out) {
		comp_unload(dl);
		return -KHOFMT_ERR_NOMEM;
	}
	while (len - pos > 4) {
		csz = ld_le32(in + pos);
		pos += 4;
		if (csz == LZ4_LEGACY_MAGIC)
			continue;
		if (csz > len - pos) {
			r = trunc_err(sc, "lz4");
			break;
		}
		if (csz > (uint32_t)f.LZ4_compressBound(LZ4_LEGACY_BLOCK)) {
			r = bad_err(sc, "lz4", "block larger than the format allows");
			break;
		}
		n = f.LZ4_decompress_safe((const char *)in + pos, (char *)out,
					(int)csz, LZ4_LEGACY_BLOCK);
		if (n < 0) {
			r = bad_err(sc, "lz4", "block does not decode");
			break;
		}
		pos += csz;
		blocks++;
		r = scan_feed(sc, out, (size_t)n);
		if (r)
			break;
	}
	if (!r && !blocks)
		r = trunc_err(sc, "lz4");
	free(out);
	comp_unload(dl);
	return r;
}

static int unbz2(struct img_scan *sc, const unsigned char *in, size_t len,
		 unsigned char *out)
{
	struct bz2_fns f = BZ2_INIT;
	bz_stream z;
	int br, r = 0;
	void *dl;

	dl = COMP_LOAD(sc, KHOFMT_BZ2_SONAME, "bzip2", bz2_names, &f, &r);
	if (r)
		return r;
	memset(&z, 0, sizeof(z));
	if (f.BZ2_bzDecompressInit(&z, 0, 0) != BZ_OK) {
		comp_unload(dl);
		return -KHOFMT_ERR_NOMEM;
	}
	z.next_in = (char *)in;
	z.avail_in = len > UINT32_MAX ? UINT32_MAX : (unsigned)len;
	do {
		z.next_out = (char *)out;
		z.avail_out = IMG_WINDOW;
		br = f.BZ2_bzDecompress(&z);
		if (br != BZ_OK && br != BZ_STREAM_END) {
			r = br == BZ_MEM_ERROR ? -KHOFMT_ERR_NOMEM :
			    bad_err(sc, "bzip2", "data error");
			break;
		}
		r = scan_feed(sc, out, IMG_WINDOW - z.avail_out);
		if (r)
			break;
		if (br == BZ_OK && !z.avail_in && z.avail_out) {
			r = trunc_err(sc, "bzip2");
			break;
		}
	} while (br != BZ_STREAM_END);
	f.BZ2_bzDecompressEnd(&z);
	comp_unload(dl);
	return r;
}

/* Decompress @in with @c (or feed it as it is) through the scanner. */
static int scan_payload(struct img_scan *sc, enum khofmt_image_comp c,
			const unsigned char *in, size_t len)
{
	unsigned char *out;
	int r;

	if (c == KHOFMT_COMP_NONE)
		r = scan_feed(sc, in, len);
	else if (c == KHOFMT_COMP_LZ4)
		r = unlz4(sc, in, len);
	else if (c == KHOFMT_COMP_LZO) {
		khofmt_setmsg(sc->err, sc->errlen,
			      "LZO-compressed payload: not supported (no LZO library in this build)");
		r = -KHOFMT_ERR_UNSUPPORTED;
	} else {
		out = malloc(IMG_WINDOW);
		if (!out)
			return -KHOFMT_ERR_NOMEM;
		r = c == KHOFMT_COMP_GZIP ? gunzip(sc, in, len, out) :
		    c == KHOFMT_COMP_XZ ? unxz(sc, in, len, out, false) :
		    c == KHOFMT_COMP_LZMA ? unxz(sc, in, len, out, true) :
		    c == KHOFMT_COMP_ZSTD ? unzstd(sc, in, len, out) :
					    unbz2(sc, in, len, out);
		free(out);
	}
	if (!r)
		r = scan_window(sc, true);
	return r;
}

/* ---- containers ---- */

static enum khofmt_image_format raw_format(const unsigned char *p, size_t n)
{
	if (n >= 0x40 && ld_le32(p + 0x38) == 0x644d5241u)
		return KHOFMT_IMAGE_ARM64;
	if (n >= 4 && !memcmp(p, "\x7f" "ELF", 4))
		return KHOFMT_IMAGE_ELF;
	return KHOFMT_IMAGE_RAW;
}

/*
 * The machine and page size, from the container or the kernel it holds:
 * a bzImage is x86_64 with 4 KiB pages; the arm64 Image header's flags
 * (flags at 0x18, Documentation/arch/arm64/booting.rst: bits 1-2, 1 = 4K, 2 = 16K,
 * 3 = 64K, 0 = unspecified); an ELF's e_machine.
 */
static void image_arch(struct khofmt_image_info *in, const unsigned char *h, size_t n)
{
	static const unsigned arm64_ps[4] = { 0, 12, 14, 16 };

	if (in->format == KHOFMT_IMAGE_BZIMAGE) {
		snprintf(in->machine, sizeof(in->machine), "%s", "x86_64");
		in->page_shift = 12;
	} else if (in->inner == KHOFMT_IMAGE_ARM64 && n >= 0x40) {
		snprintf(in->machine, sizeof(in->machine), "%s", "arm64");
		in->page_shift = arm64_ps[(ld_le32(h + 0x18) >> 1) & 3];
	} else if (in->inner == KHOFMT_IMAGE_ELF && n >= 20) {
		unsigned m = (unsigned)(h[18] | h[19] << 8);

		if (m == 62) {
			snprintf(in->machine, sizeof(in->machine), "%s", "x86_64");
			in->page_shift = 12;
		} else if (m == 183) {
			snprintf(in->machine, sizeof(in->machine), "%s", "arm64");
		}
	}
}

static int scan_init(struct img_scan *sc, struct khofmt_image *img,
		     uint64_t max, char *err, size_t errlen)
{
	memset(sc, 0, sizeof(*sc));
	sc->img = img;
	sc->max = max;
	sc->err = err;
	sc->errlen = errlen;
	sc->buf = malloc(IMG_CARRY + IMG_WINDOW);
	return sc->buf ? 0 : -KHOFMT_ERR_NOMEM;
}

/*
 * Find the container in @p[0, n) and scan its payload. bzImage (x86 boot
 * protocol 2.08+): "HdrS" at 0x202, setup_sects at 0x1f1 (0 means 4),
 * payload_offset/payload_length at 0x248/0x24c, relative to the
 * protected-mode code at (setup_sects + 1) * 512. zboot
 * (drivers/firmware/efi/libstub/zboot-header.S): "MZ", "zimg" at 4,
 * payload offset and size at 8 and 12, the compression type string at 24.
 */
static int image_scan(struct khofmt_image *img, const unsigned char *p,
		      size_t n, uint64_t max, char *err, size_t errlen)
{
	struct khofmt_image_info *in = &img->info;
	struct img_scan sc;
	uint64_t off = 0, len = n;
	int r;

	in->file_size = n;
	if (n >= 0x250 && !memcmp(p + 0x202, "HdrS", 4)) {
		unsigned sects = p[0x1f1] ? p[0x1f1] : 4;
		uint64_t pm = (uint64_t)(sects + 1) * 512;

		in->format = KHOFMT_IMAGE_BZIMAGE;
		in->boot_protocol = (uint16_t)(p[0x206] | p[0x207] << 8);
		if (in->boot_protocol < 0x208) {
			khofmt_setmsg(err, errlen,
				      "bzImage boot protocol %u.%02u has no payload fields (2.08+)",
				      in->boot_protocol >> 8, in->boot_protocol & 0xff);
			return -KHOFMT_ERR_UNSUPPORTED;
		}
		off = pm + ld_le32(p + 0x248);
		len = ld_le32(p + 0x24c);
		if (off > n || len > n - off || !len) {
			khofmt_setmsg(err, errlen,
				      "bzImage payload [0x%llx, +0x%llx) lies outside the %zu-byte file",
				      (unsigned long long)off, (unsigned long long)len, n);
			return off > n || len > n - off ? -KHOFMT_ERR_TRUNCATED :
							  -KHOFMT_ERR_STRUCT;
		}
	} else if (n >= 0x40 && p[0] == 'M' && p[1] == 'Z' &&
		   !memcmp(p + 4, "zimg", 4)) {
		size_t i;

		in->format = KHOFMT_IMAGE_ZBOOT;
		off = ld_le32(p + 8);
		len = ld_le32(p + 12);
		for (i = 0; i < sizeof(in->comp_declared) - 1 && 24 + i < 0x38 &&
			    p[24 + i] >= 0x20 && p[24 + i] < 0x7f; i++)
			in->comp_declared[i] = (char)p[24 + i];
		in->comp_declared[i] = '\0';
		if (off > n || len > n - off || !len) {
			khofmt_setmsg(err, errlen,
				      "zboot payload [0x%llx, +0x%llx) lies outside the %zu-byte file",
				      (unsigned long long)off, (unsigned long long)len, n);
			return off > n || len > n - off ? -KHOFMT_ERR_TRUNCATED :
							  -KHOFMT_ERR_STRUCT;
		}
	}
	in->payload_off = off;
	in->payload_len = len;
	in->comp = comp_detect(p + off, len);
	if (in->format == KHOFMT_IMAGE_ZBOOT && in->comp_declared[0] &&
	    strcmp(in->comp_declared, khofmt_image_comp_name(in->comp))) {
		khofmt_setmsg(err, errlen,
			      "zboot header says '%s', the payload starts like %s",
			      in->comp_declared, khofmt_image_comp_name(in->comp));
		return in->comp == KHOFMT_COMP_NONE ? -KHOFMT_ERR_UNSUPPORTED :
						      -KHOFMT_ERR_STRUCT;
	}
	if ((in->format == KHOFMT_IMAGE_BZIMAGE) && in->comp == KHOFMT_COMP_NONE) {
		khofmt_setmsg(err, errlen,
			      "bzImage payload at 0x%llx has no known compression magic",
			      (unsigned long long)off);
		return -KHOFMT_ERR_STRUCT;
	}
	if (in->format == KHOFMT_IMAGE_UNKNOWN)
		in->format = in->comp != KHOFMT_COMP_NONE ? KHOFMT_IMAGE_COMPRESSED :
							   raw_format(p, n);
	r = scan_init(&sc, img, max, err, errlen);
	if (r)
		return r;
	r = scan_payload(&sc, in->comp, p + off, (size_t)len);
	in->scanned = sc.total;
	in->inner = raw_format(sc.head, sc.nhead);
	image_arch(in, sc.head, sc.nhead);
	free(sc.buf);
	if (r)
		return r;
	if (!in->release[0]) {
		khofmt_setmsg(err, errlen,
			      "no 'Linux version' banner in %llu bytes: not a Linux kernel",
			      (unsigned long long)in->scanned);
		return -KHOFMT_ERR_COMPAT;
	}
	return 0;
}

/* ---- modules ---- */

/* Does @name (a directory entry) name module @mod (.ko, .ko.xz, ...)? */
static bool module_name_is(const char *name, const char *mod)
{
	size_t l = strlen(mod);
	const char *s;

	if (strncmp(name, mod, l))
		return false;
	s = name + l;
	return !strcmp(s, ".ko") || !strcmp(s, ".ko.xz") ||
	       !strcmp(s, ".ko.zst") || !strcmp(s, ".ko.gz");
}

/* Depth-first search below @dir for module @mod; *budget bounds entries. */
static char *module_find(const char *dir, const char *mod, unsigned depth,
			 unsigned *budget)
{
	DIR *d;
	struct dirent *e;
	char *found = NULL, *p;

	if (depth > IMG_MAX_DEPTH || !(d = opendir(dir)))
		return NULL;
	while (!found && (e = readdir(d))) {
		struct stat st;

		if (!(*budget)--)
			break;
		if (e->d_name[0] == '.')
			continue;
		if (asprintf(&p, "%s/%s", dir, e->d_name) < 0)
			break;
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			found = module_find(p, mod, depth + 1, budget);
		else if (S_ISREG(st.st_mode) && module_name_is(e->d_name, mod))
			found = strdup(p);
		free(p);
	}
	closedir(d);
	return found;
}

/* Scan the module at @path for the wants still absent. */
static int module_scan(struct khofmt_image *img, const char *path,
		       const char *shown, uint64_t max, char *err, size_t errlen)
{
	struct img_scan sc;
	void *buf;
	size_t len;
	int r;

	r = khofmt_read_file(path, KHOFMT_IMAGE_MAX_FILE, &buf, &len);
	if (r) {
		khofmt_setmsg(err, errlen, "module %s: %s", path,
			      r == -KHOFMT_ERR_IO ? strerror(errno) : khofmt_strerror(r));
		return r;
	}
	r = scan_init(&sc, img, max, err, errlen);
	if (!r) {
		sc.module = true;
		sc.mod = shown;
		r = scan_payload(&sc, comp_detect(buf, len), buf, len);
		free(sc.buf);
	}
	free(buf);
	return r;
}

static int modules_lookup(struct khofmt_image *img, const char *sysroot,
			  uint64_t max, char *err, size_t errlen)
{
	char *base = NULL, *path;
	struct stat st;
	bool *done = calloc(img->nwants + 1, sizeof(*done));
	size_t i, j;
	int r = 0;

	if (!done || asprintf(&base, "%s/lib/modules/%s", sysroot, img->info.release) < 0) {
		free(done);
		return -KHOFMT_ERR_NOMEM;
	}
	/* merged /usr without the /lib link (an unpacked package tree) */
	if (stat(base, &st) != 0) {
		free(base);
		if (asprintf(&base, "%s/usr/lib/modules/%s", sysroot, img->info.release) < 0) {
			free(done);
			return -KHOFMT_ERR_NOMEM;
		}
	}
	for (i = 0; i < img->nwants && !r; i++) {
		struct img_want *w = &img->wants[i];
		unsigned budget = IMG_MAX_MODFILES;

		if (w->where != KHOFMT_IMAGE_ABSENT || !w->module || done[i])
			continue;
		/* one module may carry several wants: scanned once */
		for (j = i; j < img->nwants; j++)
			if (img->wants[j].module && !strcmp(img->wants[j].module, w->module))
				done[j] = true;
		path = module_find(base, w->module, 0, &budget);
		if (!path)
			continue;
		r = module_scan(img, path, path + strlen(sysroot), max, err, errlen);
		free(path);
	}
	free(base);
	free(done);
	return r;
}

/* ---- the object ---- */

static int image_new(const struct khofmt_image_opts *o, struct khofmt_image **out)
{
	struct khofmt_image *img = calloc(1, sizeof(*img));
	size_t i;

	if (!img)
		return -KHOFMT_ERR_NOMEM;
	if (o && o->nwants) {
		img->wants = calloc(o->nwants, sizeof(*img->wants));
		if (!img->wants) {
			free(img);
			return -KHOFMT_ERR_NOMEM;
		}
		for (i = 0; i < o->nwants; i++) {
			struct img_want *w = &img->wants[img->nwants++];

			w->str = strdup(o->wants[i].str ? o->wants[i].str : "");
			w->module = o->wants[i].module ? strdup(o->wants[i].module) : NULL;
			if (!w->str || (o->wants[i].module && !w->module)) {
				khofmt_image_free(img);
				return -KHOFMT_ERR_NOMEM;
			}
			w->len = strlen(w->str);
			/* an empty string is never "found" */
			w->skip = !w->len || w->len > IMG_MAX_STR;
		}
	}
	*out = img;
	return 0;
}

static int image_open(const void *buf, size_t len,
		      const struct khofmt_image_opts *o, struct khofmt_image **out,
		      char *err, size_t errlen)
{
	struct khofmt_image *img;
	uint64_t max = KHOFMT_IMAGE_MAX_SIZE;
	const char *sysroot = NULL;
	size_t i;
	int r;

	if (!out || (!buf && len))
		return -KHOFMT_ERR_INVAL;
	r = KHOFMT_OPTS_VALID(o, sizeof(size_t));
	if (r)
		return r;
	if (o && o->sz >= offsetof(struct khofmt_image_opts, max_size) + sizeof(uint64_t) &&
	    o->max_size)
		max = o->max_size;
	if (o && o->sz >= offsetof(struct khofmt_image_opts, sysroot) + sizeof(char *))
		sysroot = o->sysroot;
	if (o && o->sz < sizeof(*o) && o->nwants) /* wants need the whole struct */
		return -KHOFMT_ERR_INVAL;
	r = image_new(o, &img);
	if (r)
		return r;
	{
		struct sha256_ctx c;

		sha256_init(&c);
		sha256_update(&c, len, buf);
		sha256_digest(&c, SHA256_DIGEST_SIZE, img->info.file_sha256);
	}
	r = image_scan(img, buf, len, max, err, errlen);
	if (!r && sysroot)
		r = modules_lookup(img, *sysroot ? sysroot : "", max, err, errlen);
	if (r) {
		khofmt_image_free(img);
		return r;
	}
	/* sorted tokens: stable output */
	for (i = 1; i < img->ntokens; i++) {
		char *t = img->tokens[i];
		size_t j = i;

		while (j && strcmp(img->tokens[j - 1], t) > 0) {
			img->tokens[j] = img->tokens[j - 1];
			j--;
		}
		img->tokens[j] = t;
	}
	*out = img;
	return 0;
}

KHOFMT_API int khofmt_image_open_mem(const void *buf, size_t len,
				     const struct khofmt_image_opts *o,
				     struct khofmt_image **out,
				     char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	if (len > KHOFMT_IMAGE_MAX_FILE) {
		khofmt_setmsg(err, errlen, "image larger than %llu bytes",
			      (unsigned long long)KHOFMT_IMAGE_MAX_FILE);
		return -KHOFMT_ERR_LIMIT;
	}
	return image_open(buf, len, o, out, err, errlen);
}

KHOFMT_API int khofmt_image_open(const char *path,
				 const struct khofmt_image_opts *o,
				 struct khofmt_image **out,
				 char *err, size_t errlen)
{
	void *buf;
	size_t len;
	int r;

	if (err && errlen)
		err[0] = '\0';
	if (!path || !out)
		return -KHOFMT_ERR_INVAL;
	r = khofmt_read_file(path, KHOFMT_IMAGE_MAX_FILE, &buf, &len);
	if (r) {
		khofmt_setmsg(err, errlen, "%s: %s", path,
			      r == -KHOFMT_ERR_IO ? strerror(errno) :
			      r == -KHOFMT_ERR_LIMIT ? "larger than the 256 MiB bound" :
			      khofmt_strerror(r));
		return r;
	}
	r = image_open(buf, len, o, out, err, errlen);
	free(buf);
	return r;
}

KHOFMT_API void khofmt_image_free(struct khofmt_image *img)
{
	size_t i;

	if (!img)
		return;
	for (i = 0; i < img->nwants; i++) {
		free(img->wants[i].str);
		free(img->wants[i].module);
		free(img->wants[i].module_path);
	}
	free(img->wants);
	for (i = 0; i < img->ntokens; i++)
		free(img->tokens[i]);
	free(img);
}

KHOFMT_API const struct khofmt_image_info *
khofmt_image_info(const struct khofmt_image *img)
{
	return img ? &img->info : NULL;
}

KHOFMT_API enum khofmt_image_where
khofmt_image_lookup(const struct khofmt_image *img, const char *str,
		    const char **module)
{
	size_t i;

	if (module)
		*module = NULL;
	if (!img || !str)
		return KHOFMT_IMAGE_ABSENT;
	for (i = 0; i < img->nwants; i++) {
		if (strcmp(img->wants[i].str, str))
			continue;
		if (module && img->wants[i].where == KHOFMT_IMAGE_IN_MODULE)
			*module = img->wants[i].module_path;
		return img->wants[i].where;
	}
	return KHOFMT_IMAGE_ABSENT;
}

KHOFMT_API size_t khofmt_image_ntokens(const struct khofmt_image *img)
{
	return img ? img->ntokens : 0;
}

KHOFMT_API const char *khofmt_image_token(const struct khofmt_image *img,
					  size_t i)
{
	return img && i < img->ntokens ? img->tokens[i] : NULL;
}

KHOFMT_API size_t khofmt_image_family(const struct khofmt_image *img,
				      const char *versioned, char *buf,
				      size_t len)
{
	const char *v = versioned ? strrchr(versioned, 'v') : NULL;
	size_t stem, i, n = 0, used = 0;

	if (buf && len)
		buf[0] = '\0';
	if (!img || !v || v == versioned || v[-1] != '-')
		return 0;
	stem = (size_t)(v - versioned); /* includes the '-' */
	for (i = 0; i < img->ntokens; i++) {
		const char *t = img->tokens[i];
		const char *tv = strrchr(t, 'v');

		if (!tv || (size_t)(tv - t) != stem || strncmp(t, versioned, stem))
			continue;
		n++;
		if (buf && len) {
			int w = snprintf(buf + used, len - used, "%s%s",
					 n > 1 ? ", " : "", t);

			if (w > 0 && (size_t)w < len - used)
				used += (size_t)w;
		}
	}
	return n;
}
