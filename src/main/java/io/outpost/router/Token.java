package io.outpost.router;

/** One lexical token of a rule; {@code column} is 1-based. */
record Token(Kind kind, String text, int column) {

    enum Kind { NAME, STRING, OPEN, CLOSE, COMMA, AND, OR, NOT, END }

    /** How an error message names this token. */
    String describe() {
        return switch (kind) {
            case NAME -> "'" + text + "'";
            case STRING -> "string " + Args.quote(text);
            case END -> "end of rule";
            default -> "'" + text + "'";
        };
    }
}
