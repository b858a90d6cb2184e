package io.wsproxy.config;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * The older private-key forms OpenSSL writes, rewrapped as the PKCS#8 the JDK reads: RSA's PKCS#1
 * ({@code BEGIN RSA PRIVATE KEY}) and SEC1 EC keys ({@code BEGIN EC PRIVATE KEY}, as {@code openssl ecparam
 * -genkey} and acme.sh write them). Only the few DER elements these need are read or written.
 */
final class Pkcs8Keys {
    private static final int SEQUENCE = 0x30;
    private static final int INTEGER = 0x02;
    private static final int OCTET_STRING = 0x04;
    private static final int OBJECT_ID = 0x06;
    /** SEC1's {@code [0] parameters}, explicitly tagged. */
    private static final int CONTEXT_0 = 0xa0;
    /** AlgorithmIdentifier for rsaEncryption (1.2.840.113549.1.1.1, NULL parameters). */
    private static final byte[] RSA_ALGORITHM = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86,
            (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
    /** The OID id-ecPublicKey (1.2.840.10045.2.1), whole. */
    private static final byte[] EC_PUBLIC_KEY = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};
    private static final byte[] VERSION_0 = {INTEGER, 0x01, 0x00};

    private Pkcs8Keys() {
    }

    /** SEQUENCE { INTEGER 0, rsaEncryption, OCTET STRING { the PKCS#1 key } }. */
    static byte[] fromRsaPkcs1(byte[] pkcs1) {
        return tlv(SEQUENCE, VERSION_0, RSA_ALGORITHM, tlv(OCTET_STRING, pkcs1));
    }

    /**
     * SEQUENCE { INTEGER 0, SEQUENCE { id-ecPublicKey, the curve }, OCTET STRING { the SEC1 key } }, the curve
     * taken from the SEC1 key's own parameters.
     *
     * @throws IllegalArgumentException when {@code sec1} is not an ECPrivateKey naming its curve
     */
    static byte[] fromSec1(byte[] sec1) {
        try {
            Element key = Element.at(sec1, 0, SEQUENCE);
            Element version = Element.at(sec1, key.contentStart, INTEGER);
            Element privateKey = Element.at(sec1, version.end, OCTET_STRING);
            if (privateKey.end < key.end) {
                Element parameters = Element.at(sec1, privateKey.end, -1);
                if (parameters.tag == CONTEXT_0) {
                    Element curve = Element.at(sec1, parameters.contentStart, OBJECT_ID);
                    byte[] algorithm = tlv(SEQUENCE, EC_PUBLIC_KEY, Arrays.copyOfRange(sec1, curve.start, curve.end));
                    return tlv(SEQUENCE, VERSION_0, algorithm, tlv(OCTET_STRING, sec1));
                }
            }
        } catch (IndexOutOfBoundsException e) {
            throw new IllegalArgumentException("truncated", e);
        }
        throw new IllegalArgumentException("the key does not name its curve");
    }

    /** One DER element: its tag, and where it starts, its content starts and it ends in the array. */
    private record Element(int tag, int start, int contentStart, int end) {
        /** @param expectedTag the tag it must have, or -1 for any */
        static Element at(byte[] der, int start, int expectedTag) {
            int tag = der[start] & 0xff;
            if (expectedTag != -1 && tag != expectedTag) {
                throw new IllegalArgumentException("unexpected DER tag " + tag);
            }
            int length = der[start + 1] & 0xff;
            int contentStart = start + 2;
            if (length >= 0x80) {
                int bytes = length & 0x7f;
                if (bytes == 0 || bytes > 3) {
                    throw new IllegalArgumentException("unsupported DER length");
                }
                length = 0;
                for (int i = 0; i < bytes; i++) {
                    length = (length << 8) | (der[contentStart++] & 0xff);
                }
            }
            if (contentStart + length > der.length) {
                throw new IndexOutOfBoundsException("DER element past the end");
            }
            return new Element(tag, start, contentStart, contentStart + length);
        }
    }

    private static byte[] tlv(int tag, byte[]... contents) {
        int length = 0;
        for (byte[] c : contents) {
            length += c.length;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(length + 5);
        out.write(tag);
        if (length < 0x80) {
            out.write(length);
        } else if (length < 0x100) {
            out.write(0x81);
            out.write(length);
        } else if (length < 0x10000) {
            out.write(0x82);
            out.write(length >> 8);
            out.write(length);
        } else {
            out.write(0x83);
            out.write(length >> 16);
            out.write(length >> 8);
            out.write(length);
        }
        for (byte[] c : contents) {
            out.writeBytes(c);
        }
        return out.toByteArray();
    }
}
