package io.wstunnel.srv.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class PemTest {
    /** The PKCS#1 RSAPrivateKey inside a PKCS#8 PrivateKeyInfo (the OCTET STRING's content). */
    static byte[] pkcs1Of(byte[] pkcs8) {
        // PrivateKeyInfo ::= SEQ { INTEGER 0, AlgorithmIdentifier(15 bytes), OCTET STRING }
        int i = 1;
        i += (pkcs8[i] & 0x80) != 0 ? 1 + (pkcs8[i] & 0x7f) : 1; // outer length
        i += 3; // version
        i += 15; // rsaEncryption AlgorithmIdentifier
        i++; // OCTET STRING tag
        int len;
        if ((pkcs8[i] & 0x80) == 0) {
            len = pkcs8[i++];
        } else {
            int n = pkcs8[i++] & 0x7f;
            len = 0;
            for (int k = 0; k < n; k++) {
                len = (len << 8) | (pkcs8[i++] & 0xff);
            }
        }
        return Arrays.copyOfRange(pkcs8, i, i + len);
    }

    @Test
    void pkcs8KeysOfEachKind() throws Exception {
        for (String alg : new String[] {"RSA", "EC", "Ed25519"}) {
            PrivateKey k = KeyPairGenerator.getInstance(alg).generateKeyPair().getPrivate();
            PrivateKey back = Pem.privateKey("junk before\n" + Pem.encode("PRIVATE KEY", k.getEncoded()));
            assertThat(back.getEncoded()).as(alg).isEqualTo(k.getEncoded());
        }
    }

    @Test
    void pkcs1RsaKeyIsWrapped() throws Exception {
        PrivateKey k = KeyPairGenerator.getInstance("RSA").generateKeyPair().getPrivate();
        PrivateKey back = Pem.privateKey(Pem.encode("RSA PRIVATE KEY", pkcs1Of(k.getEncoded())));
        assertThat(back.getEncoded()).isEqualTo(k.getEncoded());
    }

    @Test
    void sec1EcKeyAsWrittenByOpensslEcparam() throws Exception {
        java.security.KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
        java.security.interfaces.ECPrivateKey k = (java.security.interfaces.ECPrivateKey) g.generateKeyPair().getPrivate();
        byte[] s = k.getS().toByteArray();
        byte[] s32 = new byte[32];
        int from = Math.max(0, s.length - 32);
        System.arraycopy(s, from, s32, 32 - (s.length - from), s.length - from);
        byte[] prime256v1 = {0x06, 0x08, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x03, 0x01, 0x07};
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        body.writeBytes(new byte[] {0x02, 0x01, 0x01, 0x04, 0x20});
        body.writeBytes(s32);
        body.writeBytes(new byte[] {(byte) 0xa0, (byte) prime256v1.length});
        body.writeBytes(prime256v1);
        java.io.ByteArrayOutputStream sec1 = new java.io.ByteArrayOutputStream();
        sec1.write(0x30);
        sec1.write(body.size());
        sec1.writeBytes(body.toByteArray());
        PrivateKey back = Pem.privateKey(Pem.encode("EC PRIVATE KEY", sec1.toByteArray()));
        assertThat(((java.security.interfaces.ECPrivateKey) back).getS()).isEqualTo(k.getS());
        assertThat(((java.security.interfaces.ECPrivateKey) back).getParams().getCurve())
                .isEqualTo(k.getParams().getCurve());
    }

    @Test
    void unsupportedKeysSayWhatToDo() {
        assertThatThrownBy(() -> Pem.privateKey(Pem.encode("ENCRYPTED PRIVATE KEY", new byte[10])))
                .hasMessageContaining("openssl pkcs8");
        assertThatThrownBy(() -> Pem.privateKey(Pem.encode("EC PRIVATE KEY", new byte[10])))
                .hasMessageContaining("EC PRIVATE KEY");
        // SEC1 without the [0] curve parameters
        assertThatThrownBy(() -> Pem.privateKey(Pem.encode("EC PRIVATE KEY", new byte[] {0x30, 0x06, 0x02, 0x01, 0x01,
                0x04, 0x01, 0x05}))).hasMessageContaining("openssl pkcs8");
        assertThatThrownBy(() -> Pem.privateKey("nothing")).hasMessageContaining("no PEM private key");
        assertThatThrownBy(() -> Pem.privateKey(Pem.encode("PRIVATE KEY", new byte[] {1, 2, 3})))
                .hasMessageContaining("unsupported or corrupt");
        assertThatThrownBy(() -> Pem.certificates(Pem.encode("CERTIFICATE", new byte[] {1, 2, 3})))
                .hasMessageContaining("not a valid X.509");
    }
}
