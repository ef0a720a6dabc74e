/* Unit tests of include/faultprof/trace.h, the encoding the shim writes and
 * the reader reads: varints at every length, zigzag, little-endian fields,
 * and the record-type list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "faultprof/records.h"

static void test_varint_roundtrip(void **state)
{
    (void)state;
    uint8_t buf[FP_VARINT_MAX];
    for (int bits = 0; bits <= 64; bits++) {
        uint64_t vals[3] = { bits ? (1ull << (bits - 1)) : 0,
                             bits == 64 ? UINT64_MAX : (bits ? (1ull << bits) - 1 : 0), 0 };
        vals[2] = vals[1] ^ 0x5555555555555555ull;
        for (int k = 0; k < 3; k++) {
            size_t n = fp_put_varint(buf, vals[k]);
            assert_true(n >= 1 && n <= FP_VARINT_MAX);
            /* 7 bits per byte: the length is exact */
            unsigned sig = vals[k] ? 64 - (unsigned)__builtin_clzll(vals[k]) : 1;
            assert_int_equal(n, (sig + 6) / 7);
            const uint8_t *p = buf;
            uint64_t out = 0;
            assert_int_equal(fp_get_varint(&p, buf + n, &out), 0);
            assert_true(out == vals[k]);
            assert_ptr_equal(p, buf + n);
            /* the readers' fast form agrees */
            out = 0;
            assert_ptr_equal(fp_varint_at(buf, buf + n, &out), buf + n);
            assert_true(out == vals[k]);
        }
    }
}

static void test_varint_rejects(void **state)
{
    (void)state;
    uint8_t buf[16];
    size_t n = fp_put_varint(buf, UINT64_MAX);
    uint64_t out;
    /* cut short at every length: refused, nothing consumed */
    for (size_t cut = 0; cut < n; cut++) {
        const uint8_t *p = buf;
        assert_int_equal(fp_get_varint(&p, buf + cut, &out), -1);
        assert_ptr_equal(p, buf);
        assert_null(fp_varint_at(buf, buf + cut, &out));
    }
    /* eleven continuation bytes: longer than any u64 */
    for (int i = 0; i < 11; i++)
        buf[i] = 0x80;
    buf[11] = 0;
    const uint8_t *p = buf;
    assert_int_equal(fp_get_varint(&p, buf + 12, &out), -1);
    assert_null(fp_varint_at(buf, buf + 12, &out));
}

static void test_zigzag(void **state)
{
    (void)state;
    int64_t vals[] = { 0, 1, -1, 2, -2, 4096, -4096, INT64_MAX, INT64_MIN };
    uint64_t want[] = { 0, 2, 1, 4, 3, 8192, 8191, UINT64_MAX - 1, UINT64_MAX };
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        assert_true(fp_zigzag(vals[i]) == want[i]);
        assert_true(fp_unzigzag(fp_zigzag(vals[i])) == vals[i]);
    }
}

static void test_little_endian(void **state)
{
    (void)state;
    uint8_t b[8];
    fp_put_le16(b, 0x1234);
    assert_int_equal(b[0], 0x34);
    assert_int_equal(b[1], 0x12);
    assert_int_equal(fp_get_le16(b), 0x1234);
    fp_put_le32(b, 0xa1b2c3d4u);
    assert_int_equal(b[0], 0xd4);
    assert_int_equal(b[3], 0xa1);
    assert_int_equal(fp_get_le32(b), 0xa1b2c3d4u);
    fp_put_le64(b, 0x0102030405060708ull);
    assert_int_equal(b[0], 0x08);
    assert_int_equal(b[7], 0x01);
    assert_true(fp_get_le64(b) == 0x0102030405060708ull);
}

static void test_record_types(void **state)
{
    (void)state;
    /* the values the spec gives; a change here is a format change */
    assert_int_equal(FP_REC_PROCESS, 0x01);
    assert_int_equal(FP_REC_BLOCK, 0x02);
    assert_int_equal(FP_REC_STACK, 0x05);
    assert_int_equal(FP_REC_ALLOC, 0x10);
    assert_int_equal(FP_REC_FREE, 0x11);
    assert_int_equal(FP_REC_REALLOC, 0x12);
    assert_int_equal(FP_REC_FAULT, 0x18);
    assert_int_equal(FP_REC_MAPS, 0x19);
    assert_int_equal(FP_REC_COUNTS, 0x1a);
    assert_int_equal(FP_HEADER_SIZE, 16);
    assert_int_equal(FP_GZ_EXTRA_LEN, 32);
    assert_memory_equal(FP_MAGIC, "FAULTPRF", FP_MAGIC_LEN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_varint_roundtrip),
        cmocka_unit_test(test_varint_rejects),
        cmocka_unit_test(test_zigzag),
        cmocka_unit_test(test_little_endian),
        cmocka_unit_test(test_record_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
