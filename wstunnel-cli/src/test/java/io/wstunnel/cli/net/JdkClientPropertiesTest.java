package io.wstunnel.cli.net;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JdkClientPropertiesTest {
    private static final String[] NAMES = {
            JdkClientProperties.TUNNELING_DISABLED_SCHEMES, JdkClientProperties.WEBSOCKET_WRITE_BUFFER};

    @Test
    void unsetPropertiesGetTheAgentsValues() {
        String[] saved = save();
        try {
            for (String n : NAMES) {
                System.clearProperty(n);
            }
            JdkClientProperties.apply();
            assertThat(System.getProperty(JdkClientProperties.TUNNELING_DISABLED_SCHEMES)).isEmpty();
            assertThat(Integer.getInteger(JdkClientProperties.WEBSOCKET_WRITE_BUFFER))
                    .isEqualTo(256 * 1024)
                    .as("a whole default-size DATA frame (64 KiB + headers) fits in one write")
                    .isGreaterThan(64 * 1024 + 32);
        } finally {
            restore(saved);
        }
    }

    @Test
    void valuesTheOperatorSetAreKept() {
        String[] saved = save();
        try {
            System.setProperty(JdkClientProperties.TUNNELING_DISABLED_SCHEMES, "Basic");
            System.setProperty(JdkClientProperties.WEBSOCKET_WRITE_BUFFER, "32768");
            JdkClientProperties.apply();
            assertThat(System.getProperty(JdkClientProperties.TUNNELING_DISABLED_SCHEMES)).isEqualTo("Basic");
            assertThat(System.getProperty(JdkClientProperties.WEBSOCKET_WRITE_BUFFER)).isEqualTo("32768");
        } finally {
            restore(saved);
        }
    }

    private static String[] save() {
        String[] v = new String[NAMES.length];
        for (int i = 0; i < NAMES.length; i++) {
            v[i] = System.getProperty(NAMES[i]);
        }
        return v;
    }

    private static void restore(String[] v) {
        for (int i = 0; i < NAMES.length; i++) {
            if (v[i] == null) {
                System.clearProperty(NAMES[i]);
            } else {
                System.setProperty(NAMES[i], v[i]);
            }
        }
    }
}
