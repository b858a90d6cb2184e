package io.wsproxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wsproxy.testing.TestTls;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code server.tls}: the PEM files users have (as nginx takes them) load, and every wrong one names its line. */
class TlsConfigTest {
    private static final String RULES = "rules:\n  - name: a\n    pattern: ^/\n    target: ws://127.0.0.1:1\n";

    @TempDir
    Path dir;

    private ProxyConfig load(String certificate, String key) throws Exception {
        Path file = dir.resolve("rules.yaml");
        Files.writeString(file, "server:\n  tls:\n    certificate: " + certificate + "\n    key: " + key + "\n" + RULES);
        return ConfigLoader.load(file);
    }

    private ConfigException failure(String certificate, String key) {
        return assertThrows(ConfigException.class, () -> load(certificate, key));
    }

    @Test
    void certificateAndKeyAreReadBesideTheRulesFile() throws Exception {
        TestTls.get().writePem(dir);
        TlsConfig tls = load("localhost.crt", "localhost.key").server().tls();
        assertEquals(dir.resolve("localhost.crt"), tls.certificate());
        assertEquals(dir.resolve("localhost.key"), tls.key());
        assertEquals("CN=localhost", tls.leaf().getSubjectX500Principal().getName());
        assertNotNull(tls.context().getServerSocketFactory());
        // loading the same files again is the same setting
        assertEquals(load("localhost.crt", "localhost.key").server(), load("localhost.crt", "localhost.key").server());
        assertNull(ConfigLoader.parse(RULES, dir.resolve("plain.yaml")).server().tls());
    }

    @Test
    void oneFileMayHoldTheKeyAndTheCertificate() throws Exception {
        Path[] pem = TestTls.get().writePem(dir);
        Files.writeString(dir.resolve("both.pem"), Files.readString(pem[1]) + Files.readString(pem[0]));
        TlsConfig tls = load("both.pem", "both.pem").server().tls();
        assertEquals(TestTls.get().certificate(), tls.leaf());
    }

    @Test
    void rsaKeysInPkcs1AsOlderOpensslWritesThem() throws Exception {
        TestTls rsa = TestTls.generate("RSA");
        rsa.writePem(dir);
        Files.writeString(dir.resolve("pkcs1.key"), TestTls.pem("RSA PRIVATE KEY", innerKeyOf(rsa.key().getEncoded())));
        assertEquals(rsa.certificate(), load("localhost.crt", "pkcs1.key").server().tls().leaf());
        // and the same key as PKCS#8
        assertEquals(rsa.certificate(), load("localhost.crt", "localhost.key").server().tls().leaf());
    }

    @Test
    void ecKeysInSec1AsOpensslEcparamAndAcmeShWriteThem() throws Exception {
        TestTls.get().writePem(dir);
        // the JDK's PKCS#8 holds a SEC1 key without its curve; OpenSSL's names it in [0]: rebuild it that way
        byte[] inner = innerKeyOf(TestTls.get().key().getEncoded()); // 30 len 02 01 01 04 20 <32 bytes> ...
        assertEquals(0x20, inner[6], "a P-256 private key of 32 bytes");
        byte[] p256 = {0x06, 0x08, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x03, 0x01, 0x07};
        java.io.ByteArrayOutputStream sec1 = new java.io.ByteArrayOutputStream();
        sec1.writeBytes(new byte[] {0x30, 0x31, 0x02, 0x01, 0x01, 0x04, 0x20});
        sec1.write(inner, 7, 32);
        sec1.writeBytes(new byte[] {(byte) 0xa0, 0x0a});
        sec1.writeBytes(p256);
        Files.writeString(dir.resolve("sec1.key"), TestTls.pem("EC PARAMETERS", p256)
                + TestTls.pem("EC PRIVATE KEY", sec1.toByteArray()));
        assertEquals(TestTls.get().certificate(), load("localhost.crt", "sec1.key").server().tls().leaf());
    }

    @Test
    void aKeyOfAnotherCertificateIsRefusedAtTheKeyLine() throws Exception {
        TestTls.get().writePem(dir);
        Files.writeString(dir.resolve("other.key"), TestTls.pem("PRIVATE KEY", TestTls.generate().key().getEncoded()));
        ConfigException e = failure("localhost.crt", "other.key");
        assertEquals(4, e.line());
        assertEquals("server.tls.key", e.field());
        assertTrue(e.problem().startsWith("the key does not belong to the certificate CN=localhost in "), e.problem());
    }

    @Test
    void theServersOwnCertificateMustComeFirst() throws Exception {
        TestTls other = TestTls.generate();
        Path[] pem = TestTls.get().writePem(dir);
        Files.writeString(dir.resolve("chain.crt"), TestTls.pem("CERTIFICATE", other.certificate().getEncoded())
                + Files.readString(pem[0]));
        ConfigException e = failure("chain.crt", "localhost.key");
        assertTrue(e.problem().contains("the server's own certificate must come first"), e.problem());
    }

    @Test
    void missingUnreadableAndForeignFilesNameTheirLine() throws Exception {
        TestTls.get().writePem(dir);
        ConfigException missing = failure("nothing.crt", "localhost.key");
        assertEquals(3, missing.line());
        assertEquals("server.tls.certificate", missing.field());
        assertEquals(dir.resolve("nothing.crt") + ": no such file", missing.problem());
        assertEquals(4, failure("localhost.crt", "nothing.key").line());

        Files.writeString(dir.resolve("text.crt"), "not a certificate\n");
        assertTrue(failure("text.crt", "localhost.key").problem().endsWith("not a PEM file (no -----BEGIN ...----- block)"));
        ConfigException keyOnly = failure("localhost.key", "localhost.key");
        assertEquals(3, keyOnly.line());
        assertTrue(keyOnly.problem().endsWith("no certificate (-----BEGIN CERTIFICATE-----) in it"), keyOnly.problem());
        ConfigException certificateOnly = failure("localhost.crt", "localhost.crt");
        assertEquals(4, certificateOnly.line());
        assertTrue(certificateOnly.problem().contains("no private key"), certificateOnly.problem());

        Files.writeString(dir.resolve("broken.crt"), TestTls.pem("CERTIFICATE", new byte[] {1, 2, 3}));
        assertTrue(failure("broken.crt", "localhost.key").problem().contains("certificate 1 is not a valid X.509 certificate"));
        Files.writeString(dir.resolve("broken.key"), TestTls.pem("PRIVATE KEY", new byte[] {1, 2, 3}));
        assertTrue(failure("localhost.crt", "broken.key").problem().contains("neither an RSA, EC nor EdDSA key"));
    }

    @Test
    void encryptedAndBrokenKeysSayWhatToDo() throws Exception {
        TestTls.get().writePem(dir);
        Files.writeString(dir.resolve("encrypted.key"), TestTls.pem("ENCRYPTED PRIVATE KEY", new byte[] {1, 2, 3}));
        assertTrue(failure("localhost.crt", "encrypted.key").problem().contains("the key is encrypted; write it "
                + "unencrypted, readable by the proxy only: openssl pkey -in "));
        Files.writeString(dir.resolve("broken-sec1.key"), TestTls.pem("EC PRIVATE KEY", new byte[] {1, 2, 3}));
        assertTrue(failure("localhost.crt", "broken-sec1.key").problem().contains("not a valid EC key"));
        // OpenSSL 1.x's legacy encryption of a PKCS#1 key: headers inside the block
        Files.writeString(dir.resolve("legacy.key"), "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
                + "DEK-Info: AES-256-CBC,0011223344556677\n\nAQID\n-----END RSA PRIVATE KEY-----\n");
        assertTrue(failure("localhost.crt", "legacy.key").problem().contains("the key is encrypted; write it "
                + "unencrypted, readable by the proxy only: openssl pkey -in "));
        Files.writeString(dir.resolve("garbled.key"), "-----BEGIN PRIVATE KEY-----\nno*base64\n-----END PRIVATE KEY-----\n");
        assertTrue(failure("localhost.crt", "garbled.key").problem().endsWith("the PRIVATE KEY block is not valid base64"));
    }

    @Test
    void bothFilesAreRequiredAndNothingElse() throws Exception {
        Path file = dir.resolve("rules.yaml");
        Files.writeString(file, "server:\n  tls:\n    certificate: a.crt\n" + RULES);
        ConfigException missing = assertThrows(ConfigException.class, () -> ConfigLoader.load(file));
        assertEquals("server.tls.key", missing.field());
        assertEquals("missing required field", missing.problem());
        Files.writeString(file, "server:\n  tls:\n    certificate: a.crt\n    key: a.key\n    password: x\n" + RULES);
        ConfigException unknown = assertThrows(ConfigException.class, () -> ConfigLoader.load(file));
        assertEquals(5, unknown.line());
        assertEquals("unknown field; allowed: certificate, key", unknown.problem());
    }

    @Test
    void upstreamCaIsABundleOfCertificatesBesideTheRulesFile() throws Exception {
        TestTls.get().writePem(dir);
        Path file = dir.resolve("rules.yaml");
        Files.writeString(file, "server:\n  upstreamCa: localhost.crt\n" + RULES);
        UpstreamTrust trust = ConfigLoader.load(file).server().upstreamCa();
        assertEquals(dir.resolve("localhost.crt"), trust.file());
        assertEquals(1, trust.certificates());
        Files.writeString(file, "server:\n  upstreamCa: localhost.key\n" + RULES);
        ConfigException keyOnly = assertThrows(ConfigException.class, () -> ConfigLoader.load(file));
        assertEquals(2, keyOnly.line());
        assertEquals("server.upstreamCa", keyOnly.field());
        assertTrue(keyOnly.problem().endsWith("no certificate (-----BEGIN CERTIFICATE-----) in it"), keyOnly.problem());
        Files.writeString(file, "server:\n  upstreamCa: none.crt\n" + RULES);
        assertEquals(dir.resolve("none.crt") + ": no such file",
                assertThrows(ConfigException.class, () -> ConfigLoader.load(file)).problem());
    }

    /** The key inside a PKCS#8 key (PKCS#1 for RSA, SEC1 for EC): the content of its last element, an OCTET STRING. */
    private static byte[] innerKeyOf(byte[] pkcs8) {
        int i = 1 + lengthBytes(pkcs8, 1); // past the outer SEQUENCE's tag and length
        i += 3; // INTEGER 0
        i += 2 + pkcs8[i + 1]; // the AlgorithmIdentifier SEQUENCE (short form)
        int lengthAt = i + 1; // OCTET STRING
        return Arrays.copyOfRange(pkcs8, lengthAt + lengthBytes(pkcs8, lengthAt), pkcs8.length);
    }

    private static int lengthBytes(byte[] der, int at) {
        return (der[at] & 0x80) == 0 ? 1 : 1 + (der[at] & 0x7f);
    }
}
