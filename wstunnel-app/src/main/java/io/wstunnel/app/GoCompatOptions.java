package io.wstunnel.app;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import picocli.CommandLine.Option;

/**
 * Flags of the Go wstunnel (srv and cli) that this implementation does not implement: accepted so
 * that existing service files and scripts start unchanged, each with one WARN line and no effect.
 * See README "Compatibility with the Go wstunnel".
 */
public final class GoCompatOptions {
    @Option(names = {"-syslog", "--syslog"}, paramLabel = "FACILITY", hidden = true,
            description = "Go wstunnel flag, accepted and ignored: log to stdout or -logfile instead.")
    String syslog;

    @Option(names = {"-robowhois", "--robowhois"}, paramLabel = "TOKEN", hidden = true,
            description = "Go wstunnel flag, accepted and ignored: no whois lookups of agent addresses.")
    String robowhois;

    @Option(names = {"-client-ports", "--client-ports"}, paramLabel = "PORTS", hidden = true,
            description = "Go wstunnel flag, accepted and ignored: no local HTTP proxy ports.")
    String clientPorts;

    /** One line per Go flag that was given: "-flag VALUE ignored: why". */
    public List<String> ignored() {
        List<String> out = new ArrayList<>();
        if (syslog != null) {
            out.add("-syslog " + syslog + " is a Go wstunnel flag with no effect here (ignored): logs go to stdout or -logfile");
        }
        if (robowhois != null) {
            out.add("-robowhois is a Go wstunnel flag with no effect here (ignored): agent addresses are not looked up");
        }
        if (clientPorts != null) {
            out.add("-client-ports " + clientPorts + " is a Go wstunnel flag with no effect here (ignored): "
                    + "no local proxy ports are opened");
        }
        return out;
    }

    /** Logs {@link #ignored()} as warnings (after logging is configured). */
    public void warn(Logger log) {
        for (String line : ignored()) {
            log.warn(line);
        }
    }
}
