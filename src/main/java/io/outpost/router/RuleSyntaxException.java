package io.outpost.router;

/**
 * A rule that cannot be parsed. The message starts with the 1-based column it points at, for
 * example {@code column 23: expected ',' or ')' but found end of rule}, so a configuration error can
 * show the router's name, the rule and where it went wrong.
 */
public final class RuleSyntaxException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final int column;
    private final String reason;

    public RuleSyntaxException(int column, String reason) {
        super("column " + column + ": " + reason);
        this.column = column;
        this.reason = reason;
    }

    RuleSyntaxException(int column, String reason, Throwable cause) {
        this(column, reason);
        initCause(cause);
    }

    /** The 1-based column of the rule text where the problem is. */
    public int column() {
        return column;
    }

    /** The message without its column prefix. */
    public String reason() {
        return reason;
    }
}
