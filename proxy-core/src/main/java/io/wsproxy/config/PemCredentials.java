package io.wsproxy.config;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A server certificate chain and its private key from PEM files, as nginx's {@code ssl_certificate} and
 * {@code ssl_certificate_key} take them (one file may hold both), made into a TLS context for the listener; and a
 * bundle of CA certificates that targets must chain to, as nginx's {@code proxy_ssl_trusted_certificate}.
 * Keys: PKCS#8 ({@code BEGIN PRIVATE KEY}, what OpenSSL 3 and certbot write), RSA's PKCS#1 ({@code BEGIN RSA
 * PRIVATE KEY}) and SEC1 ({@code BEGIN EC PRIVATE KEY}); encrypted keys are refused with the OpenSSL command that
 * writes them unencrypted.
 */
final class PemCredentials {
    /** Certificate and key files are small; anything larger is not one. */
    private static final long MAX_FILE_BYTES = 1 << 20;
    private static final Pattern BLOCK = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----",
            Pattern.DOTALL);
    /** RFC 1421 headers before a block's base64, as OpenSSL writes them over a legacy encrypted key. */
    private static final Pattern HEADERS = Pattern.compile("\\A\\s*(?:[A-Za-z-]+:[^\\n]*\\n)+");
    private static final List<String> KEY_ALGORITHMS = List.of("RSA", "EC", "EdDSA", "RSASSA-PSS");

    /** What is wrong with one of the two files: the loader turns it into an error at that file's line. */
    static final class Problem extends Exception {
        private final boolean inKeyFile;

        Problem(boolean inKeyFile, String message) {
            super(message);
            this.inKeyFile = inKeyFile;
        }

        boolean inKeyFile() {
            return inKeyFile;
        }
    }

    private PemCredentials() {
    }

    /** The chain (the server's own certificate first) and the key that goes with it, checked to match. */
    static TlsConfig load(Path certificateFile, Path keyFile) throws Problem {
        List<X509Certificate> chain = certificates(certificateFile);
        PrivateKey key = privateKey(keyFile);
        if (!matches(key, chain.get(0).getPublicKey())) {
            boolean later = chain.stream().skip(1).anyMatch(c -> matches(key, c.getPublicKey()));
            throw new Problem(true, later
                    ? "the key belongs to a later certificate in " + certificateFile
                            + "; the server's own certificate must come first"
                    : "the key does not belong to the certificate " + chain.get(0).getSubjectX500Principal().getName()
                            + " in " + certificateFile);
        }
        return new TlsConfig(certificateFile, keyFile, context(key, chain), chain.get(0));
    }

    /** The certificates of a CA bundle, as the only ones that targets' certificates may chain to. */
    static UpstreamTrust trust(Path file) throws Problem {
        List<X509Certificate> certificates = certificates(file);
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            for (int i = 0; i < certificates.size(); i++) {
                store.setCertificateEntry("ca" + i, certificates.get(i));
            }
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return new UpstreamTrust(file, context, certificates.size());
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("the JDK could not make a TLS context of valid certificates", e);
        }
    }

    private static List<X509Certificate> certificates(Path file) throws Problem {
        CertificateFactory factory;
        try {
            factory = CertificateFactory.getInstance("X.509");
        } catch (CertificateException e) {
            throw new IllegalStateException("the JDK has no X.509 support", e);
        }
        List<X509Certificate> chain = new ArrayList<>();
        for (Block block : blocks(file, false)) {
            if (block.type.equals("CERTIFICATE")) {
                try {
                    chain.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(block.der)));
                } catch (CertificateException e) {
                    throw new Problem(false, file + ": certificate " + (chain.size() + 1)
                            + " is not a valid X.509 certificate (" + e.getMessage() + ")");
                }
            }
        }
        if (chain.isEmpty()) {
            throw new Problem(false, file + ": no certificate (-----BEGIN CERTIFICATE-----) in it");
        }
        return chain;
    }

    private static PrivateKey privateKey(Path file) throws Problem {
        for (Block block : blocks(file, true)) {
            switch (block.type) {
                case "PRIVATE KEY":
                    return pkcs8(file, block.der);
                case "RSA PRIVATE KEY":
                    if (block.encrypted) {
                        throw encrypted(file);
                    }
                    return pkcs8(file, Pkcs8Keys.fromRsaPkcs1(block.der));
                case "ENCRYPTED PRIVATE KEY":
                    throw encrypted(file);
                case "EC PRIVATE KEY":
                    if (block.encrypted) {
                        throw encrypted(file);
                    }
                    try {
                        return pkcs8(file, Pkcs8Keys.fromSec1(block.der));
                    } catch (IllegalArgumentException e) {
                        throw new Problem(true, file + ": not a valid EC key (" + e.getMessage() + "); convert it to "
                                + "PKCS#8: openssl pkcs8 -topk8 -nocrypt -in " + file + " -out <new file>");
                    }
                default:
                    // certificates and parameters may share the file; the key is what counts
            }
        }
        throw new Problem(true, file
                + ": no private key (-----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY or EC PRIVATE KEY) in it");
    }

    /** The proxy starts unattended: no one is there to type a passphrase. */
    private static Problem encrypted(Path file) {
        return new Problem(true, file + ": the key is encrypted; write it unencrypted, readable by the proxy only: "
                + "openssl pkey -in " + file + " -out <new file>");
    }

    private static PrivateKey pkcs8(Path file, byte[] der) throws Problem {
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        for (String algorithm : KEY_ALGORITHMS) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (InvalidKeySpecException | java.security.NoSuchAlgorithmException e) {
                // another algorithm's key
            }
        }
        throw new Problem(true, file + ": the private key is neither an RSA, EC nor EdDSA key the JDK can read");
    }

    /** Whether {@code key} is the private half of {@code publicKey}: a signature made with one checks with the other. */
    private static boolean matches(PrivateKey key, PublicKey publicKey) {
        if (key instanceof RSAPrivateKey rsa && publicKey instanceof RSAPublicKey rsaPublic) {
            return rsa.getModulus().equals(rsaPublic.getModulus());
        }
        String algorithm = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "EdDSA", "Ed25519", "Ed448" -> "EdDSA";
            default -> null; // RSA (and RSASSA-PSS) keys were compared by modulus above
        };
        if (algorithm == null) {
            return false;
        }
        try {
            byte[] probe = "wsproxy".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static SSLContext context(PrivateKey key, List<X509Certificate> chain) {
        try {
            char[] password = new char[0];
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("server", key, password, chain.toArray(X509Certificate[]::new));
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, password);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys.getKeyManagers(), null, null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("the JDK could not make a TLS context of a valid key and certificate", e);
        }
    }

    /** @param encrypted the block's headers say so (Proc-Type: 4,ENCRYPTED) */
    private record Block(String type, byte[] der, boolean encrypted) {
    }

    /** The bytes of base64 text broken into lines; null when it is not that (the MIME decoder skips strangers). */
    private static byte[] base64(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean valid = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+'
                    || c == '/' || c == '=' || Character.isWhitespace(c);
            if (!valid) {
                return null;
            }
        }
        try {
            return Base64.getMimeDecoder().decode(text.strip());
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static List<Block> blocks(Path file, boolean keyFile) throws Problem {
        String text;
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new Problem(keyFile, file + ": larger than 1 MiB, not a PEM file");
            }
            text = Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new Problem(keyFile, file + ": no such file");
        } catch (java.nio.file.AccessDeniedException e) {
            throw new Problem(keyFile, file + ": permission denied (the proxy's user must be able to read it)");
        } catch (IOException e) {
            throw new Problem(keyFile, "cannot read " + file + ": " + e);
        }
        List<Block> blocks = new ArrayList<>();
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            String body = m.group(2);
            Matcher headers = HEADERS.matcher(body);
            boolean encrypted = false;
            if (headers.find()) {
                encrypted = headers.group().contains("ENCRYPTED");
                body = body.substring(headers.end());
            }
            byte[] der = base64(body);
            if (der == null) {
                throw new Problem(keyFile, file + ": the " + m.group(1) + " block is not valid base64");
            }
            blocks.add(new Block(m.group(1), der, encrypted));
        }
        if (blocks.isEmpty()) {
            throw new Problem(keyFile, file + ": not a PEM file (no -----BEGIN ...----- block)");
        }
        return blocks;
    }
}
