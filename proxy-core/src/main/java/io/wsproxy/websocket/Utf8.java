package io.wsproxy.websocket;

/** UTF-8 as RFC 3629 defines it: no overlong forms, no surrogates, nothing above U+10FFFF. */
public final class Utf8 {
    private Utf8() {
    }

    public static boolean isValid(byte[] data, int offset, int length) {
        int i = offset;
        int end = offset + length;
        while (i < end) {
            int c = data[i];
            if (c >= 0) {
                i++;
                continue;
            }
            c &= 0xff;
            if (c < 0xc2 || c > 0xf4) {
                return false;
            }
            if (c < 0xe0) {
                if (i + 1 >= end || !isContinuation(data[i + 1])) {
                    return false;
                }
                i += 2;
            } else if (c < 0xf0) {
                if (i + 2 >= end) {
                    return false;
                }
                int c1 = data[i + 1] & 0xff;
                if (!isContinuation(data[i + 1]) || (c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 >= 0xa0)
                        || !isContinuation(data[i + 2])) {
                    return false;
                }
                i += 3;
            } else {
                if (i + 3 >= end) {
                    return false;
                }
                int c1 = data[i + 1] & 0xff;
                if (!isContinuation(data[i + 1]) || (c == 0xf0 && c1 < 0x90) || (c == 0xf4 && c1 >= 0x90)
                        || !isContinuation(data[i + 2]) || !isContinuation(data[i + 3])) {
                    return false;
                }
                i += 4;
            }
        }
        return true;
    }

    /** How many of valid UTF-8 {@code data}'s first {@code max} bytes can be kept without splitting a character. */
    public static int cut(byte[] data, int max) {
        if (data.length <= max) {
            return data.length;
        }
        int end = max;
        while (end > 0 && isContinuation(data[end])) {
            end--;
        }
        return end;
    }

    private static boolean isContinuation(byte b) {
        return (b & 0xc0) == 0x80;
    }
}
