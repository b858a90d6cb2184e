package io.wsproxy.testing;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A self-signed certificate for {@code localhost} only (not 127.0.0.1), made with the JDK's own keytool: a server
 * context that presents it and a client context that trusts it, so tests can tell a host-name check from none; and
 * the same certificate and key as PEM files, as a user would hand them to the proxy.
 */
public final class TestTls {
    private static final char[] PASSWORD = "changeit".toCharArray();
    private static TestTls instance;

    private final SSLContext server;
    private final SSLContext client;
    private final PrivateKey key;
    private final X509Certificate certificate;

    private TestTls(SSLContext server, SSLContext client, PrivateKey key, X509Certificate certificate) {
        this.server = server;
        this.client = client;
        this.key = key;
        this.certificate = certificate;
    }

    /** The one shared for the whole run (keytool takes about a second). */
    public static synchronized TestTls get() throws Exception {
        if (instance == null) {
            instance = generate();
        }
        return instance;
    }

    /** Another key and certificate for {@code localhost}, not trusted by {@link #get()}'s client. */
    public static TestTls generate() throws Exception {
        return generate("EC");
    }

    /** As {@link #generate()}, with an {@code EC} (P-256) or {@code RSA} (2048 bits) key. */
    public static TestTls generate(String keyAlgorithm) throws Exception {
        Path dir = Files.createTempDirectory("wsproxy-tls");
        try {
            return create(dir.resolve("localhost.p12"), keyAlgorithm.equals("RSA")
                    ? List.of("-keyalg", "RSA", "-keysize", "2048") : List.of("-keyalg", "EC", "-groupname", "secp256r1"));
        } finally {
            // the key lives on in memory only: every run used to leave a directory behind in /tmp
            Files.deleteIfExists(dir.resolve("localhost.p12"));
            Files.delete(dir);
        }
    }

    public SSLContext server() {
        return server;
    }

    public SSLContext client() {
        return client;
    }

    /** A client trusting the test's certificate that speaks only {@code protocol} (such as "TLSv1.2"). */
    public SSLContext clientOf(String protocol) throws Exception {
        return clientTrusting(certificate, protocol);
    }

    private static SSLContext clientTrusting(X509Certificate certificate, String protocol) throws Exception {
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        trusted.setCertificateEntry("localhost", certificate);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trusted);
        SSLContext client = SSLContext.getInstance(protocol);
        client.init(null, tmf.getTrustManagers(), null);
        return client;
    }

    public X509Certificate certificate() {
        return certificate;
    }

    public PrivateKey key() {
        return key;
    }

    /** Writes {@code localhost.crt} (the certificate) and {@code localhost.key} (its PKCS#8 key) into {@code dir}. */
    public Path[] writePem(Path dir) throws Exception {
        Path crt = dir.resolve("localhost.crt");
        Path keyFile = dir.resolve("localhost.key");
        Files.writeString(crt, pem("CERTIFICATE", certificate.getEncoded()));
        Files.writeString(keyFile, pem("PRIVATE KEY", key.getEncoded()));
        return new Path[] {crt, keyFile};
    }

    /** Writes the PEM files into {@code dir}; returns the {@code server:} fields that make the proxy present them. */
    public String serverFields(Path dir) throws Exception {
        Path[] pem = writePem(dir);
        return "tls: { certificate: '" + pem[0] + "', key: '" + pem[1] + "' }";
    }

    /** Writes one PEM block of {@code type}. */
    public static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + new String(Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encode(der),
                StandardCharsets.US_ASCII)
                + "\n-----END " + type + "-----\n";
    }

    private static TestTls create(Path keystore, List<String> keyOptions) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair", "-alias", "localhost"));
        command.addAll(keyOptions);
        command.addAll(List.of("-dname", "CN=localhost", "-ext", "SAN=dns:localhost", "-validity", "2",
                "-storetype", "PKCS12", "-keystore", keystore.toString(), "-storepass", "changeit"));
        Process keytool = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (!keytool.waitFor(60, TimeUnit.SECONDS) || keytool.exitValue() != 0) {
            throw new IllegalStateException("keytool failed: " + new String(keytool.getInputStream().readAllBytes()));
        }
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            keys.load(in, PASSWORD);
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, PASSWORD);
        SSLContext server = SSLContext.getInstance("TLS");
        server.init(kmf.getKeyManagers(), null, null);
        X509Certificate certificate = (X509Certificate) keys.getCertificate("localhost");
        return new TestTls(server, clientTrusting(certificate, "TLS"), (PrivateKey) keys.getKey("localhost", PASSWORD),
                certificate);
    }
}
