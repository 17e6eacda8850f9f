package io.wstunnel.app;

/** A wrong or missing option or configuration value: exit code 2 and one line on stderr. */
public final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String command;

    public UsageException(String message) {
        this(null, message);
    }

    public UsageException(String command, String message) {
        super(message);
        this.command = command;
    }

    /** "wstunnel srv" etc. when known before picocli is involved, else null. */
    public String command() {
        return command;
    }
}
