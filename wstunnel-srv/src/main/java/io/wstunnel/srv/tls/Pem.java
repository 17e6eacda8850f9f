package io.wstunnel.srv.tls;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** PEM certificates and private keys, parsed with JDK APIs only. */
public final class Pem {
    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]*?)\\s*-----END \\1-----");
    private static final String[] KEY_ALGORITHMS = {"RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS"};
    /** AlgorithmIdentifier of rsaEncryption (1.2.840.113549.1.1.1) with NULL parameters. */
    private static final byte[] RSA_ALGORITHM_ID = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86,
            (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};

    private Pem() {
    }

    record Block(String type, byte[] der) {
    }

    static List<Block> blocks(String text) {
        List<Block> out = new ArrayList<>();
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            byte[] der;
            try {
                der = Base64.getMimeDecoder().decode(m.group(2));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("bad base64 in PEM block " + m.group(1));
            }
            out.add(new Block(m.group(1), der));
        }
        return out;
    }

    /** Every "CERTIFICATE" block, in order (leaf first for a chain). */
    public static List<X509Certificate> certificates(String text) {
        List<X509Certificate> certs = new ArrayList<>();
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            for (Block b : blocks(text)) {
                if (b.type().equals("CERTIFICATE") || b.type().equals("TRUSTED CERTIFICATE")) {
                    certs.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(b.der())));
                }
            }
        } catch (CertificateException e) {
            throw new IllegalArgumentException("not a valid X.509 certificate: " + e.getMessage(), e);
        }
        if (certs.isEmpty()) {
            throw new IllegalArgumentException("no PEM certificate (-----BEGIN CERTIFICATE-----) found");
        }
        return certs;
    }

    /**
     * The first private key: PKCS#8 ("PRIVATE KEY": RSA, EC, EdDSA), PKCS#1 ("RSA PRIVATE KEY") or SEC1
     * ("EC PRIVATE KEY" with a named curve). Encrypted keys are refused.
     */
    public static PrivateKey privateKey(String text) {
        for (Block b : blocks(text)) {
            switch (b.type()) {
                case "PRIVATE KEY":
                    return pkcs8(b.der());
                case "RSA PRIVATE KEY":
                    return pkcs8(wrapPkcs1(b.der()));
                case "ENCRYPTED PRIVATE KEY":
                    throw new IllegalArgumentException("encrypted private keys are not supported; decrypt it with "
                            + "'openssl pkcs8 -topk8 -nocrypt -in key.pem -out key-pkcs8.pem' (and keep it mode 0600)");
                case "EC PRIVATE KEY":
                    return pkcs8(wrapSec1(b.der()));
                default:
                    break;
            }
        }
        throw new IllegalArgumentException("no PEM private key (-----BEGIN PRIVATE KEY-----) found");
    }

    private static PrivateKey pkcs8(byte[] der) {
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        for (String alg : KEY_ALGORITHMS) {
            try {
                return KeyFactory.getInstance(alg).generatePrivate(spec);
            } catch (GeneralSecurityException | RuntimeException e) {
                // try the next algorithm
            }
        }
        throw new IllegalArgumentException("unsupported or corrupt PKCS#8 private key (RSA, EC, Ed25519 supported)");
    }

    /**
     * PrivateKeyInfo { version 0, { id-ecPublicKey, curve }, OCTET STRING sec1 } for a SEC1 ECPrivateKey
     * ("BEGIN EC PRIVATE KEY", as written by {@code openssl ecparam -genkey}) that names its curve.
     */
    static byte[] wrapSec1(byte[] sec1) {
        byte[] curve = null;
        try {
            int[] seq = header(sec1, 0, 0x30);
            int i = seq[0];
            int end = seq[0] + seq[1];
            while (i < end) {
                int tag = sec1[i] & 0xff;
                int[] h = header(sec1, i, tag);
                if (tag == 0xa0) {
                    curve = java.util.Arrays.copyOfRange(sec1, h[0], h[0] + h[1]);
                    break;
                }
                i = h[0] + h[1];
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("corrupt EC PRIVATE KEY");
        }
        if (curve == null || curve.length == 0 || curve[0] != 0x06) {
            throw new IllegalArgumentException("EC PRIVATE KEY without a named curve; convert with "
                    + "'openssl pkcs8 -topk8 -nocrypt -in key.pem -out key-pkcs8.pem'");
        }
        ByteArrayOutputStream alg = new ByteArrayOutputStream();
        alg.writeBytes(new byte[] {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01});
        alg.writeBytes(curve);
        ByteArrayOutputStream algId = new ByteArrayOutputStream();
        algId.write(0x30);
        writeLength(algId, alg.size());
        algId.writeBytes(alg.toByteArray());
        return privateKeyInfo(algId.toByteArray(), sec1);
    }

    /** @return {content offset, content length} of the TLV at {@code at}, which must have {@code tag} */
    private static int[] header(byte[] der, int at, int tag) {
        if ((der[at] & 0xff) != tag) {
            throw new IllegalArgumentException("unexpected DER tag");
        }
        int i = at + 1;
        int len = der[i++] & 0xff;
        if (len >= 0x80) {
            int n = len & 0x7f;
            if (n == 0 || n > 3) {
                throw new IllegalArgumentException("bad DER length");
            }
            len = 0;
            for (int k = 0; k < n; k++) {
                len = (len << 8) | (der[i++] & 0xff);
            }
        }
        if (i + len > der.length) {
            throw new IllegalArgumentException("truncated DER");
        }
        return new int[] {i, len};
    }

    private static byte[] privateKeyInfo(byte[] algorithmId, byte[] key) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(new byte[] {0x02, 0x01, 0x00});
        body.writeBytes(algorithmId);
        body.write(0x04);
        writeLength(body, key.length);
        body.writeBytes(key);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x30);
        writeLength(out, body.size());
        out.writeBytes(body.toByteArray());
        return out.toByteArray();
    }

    /** PrivateKeyInfo { version 0, rsaEncryption, OCTET STRING pkcs1 }. */
    static byte[] wrapPkcs1(byte[] pkcs1) {
        return privateKeyInfo(RSA_ALGORITHM_ID, pkcs1);
    }

    private static void writeLength(ByteArrayOutputStream out, int len) {
        if (len < 0x80) {
            out.write(len);
        } else if (len < 0x100) {
            out.write(0x81);
            out.write(len);
        } else if (len < 0x10000) {
            out.write(0x82);
            out.write(len >> 8);
            out.write(len & 0xff);
        } else {
            out.write(0x83);
            out.write(len >> 16);
            out.write((len >> 8) & 0xff);
            out.write(len & 0xff);
        }
    }

    /** PEM text of a certificate (used by tests and tooling). */
    public static String encode(X509Certificate cert) {
        try {
            return encode("CERTIFICATE", cert.getEncoded());
        } catch (CertificateException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String encode(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
