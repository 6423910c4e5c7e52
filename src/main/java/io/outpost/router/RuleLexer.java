package io.outpost.router;

import io.outpost.router.Token.Kind;

/**
 * Splits rule text into tokens on demand, so that errors are reported in the order a reader meets
 * them. Strings are raw in backticks; in double quotes they take the escapes {@code \" \\ \n \r \t}.
 */
final class RuleLexer {

    private final String text;
    private int position;
    private Token peeked;

    RuleLexer(String text) {
        this.text = text;
    }

    Token peek() {
        if (peeked == null) {
            peeked = scan();
        }
        return peeked;
    }

    Token next() {
        Token token = peek();
        peeked = null;
        return token;
    }

    private Token scan() {
        while (position < text.length() && Character.isWhitespace(text.charAt(position))) {
            position++;
        }
        int start = position;
        int column = start + 1;
        if (start == text.length()) {
            return new Token(Kind.END, "", column);
        }
        char c = text.charAt(start);
        switch (c) {
            case '(' -> {
                position++;
                return new Token(Kind.OPEN, "(", column);
            }
            case ')' -> {
                position++;
                return new Token(Kind.CLOSE, ")", column);
            }
            case ',' -> {
                position++;
                return new Token(Kind.COMMA, ",", column);
            }
            case '!' -> {
                position++;
                return new Token(Kind.NOT, "!", column);
            }
            case '&', '|' -> {
                String operator = c == '&' ? "&&" : "||";
                if (!text.startsWith(operator, start)) {
                    throw new RuleSyntaxException(column, "expected '" + operator + "' but found '" + c + "'");
                }
                position += 2;
                return new Token(c == '&' ? Kind.AND : Kind.OR, operator, column);
            }
            case '`' -> {
                int close = text.indexOf('`', start + 1);
                if (close < 0) {
                    throw new RuleSyntaxException(column, "unterminated string: no closing '`' for the one here");
                }
                position = close + 1;
                return new Token(Kind.STRING, text.substring(start + 1, close), column);
            }
            case '"' -> {
                return quoted(column);
            }
            case '\'' -> throw new RuleSyntaxException(column,
                    "single quotes are not accepted (expected a string in backticks or double quotes)");
            default -> {
                if (isNameStart(c)) {
                    position++;
                    while (position < text.length() && isNamePart(text.charAt(position))) {
                        position++;
                    }
                    return new Token(Kind.NAME, text.substring(start, position), column);
                }
                throw new RuleSyntaxException(column, "unexpected character '" + c + "'");
            }
        }
    }

    private Token quoted(int column) {
        StringBuilder value = new StringBuilder();
        int i = position + 1;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '"') {
                position = i + 1;
                return new Token(Kind.STRING, value.toString(), column);
            }
            if (c == '\\') {
                char escaped = i + 1 < text.length() ? text.charAt(i + 1) : 0;
                switch (escaped) {
                    case '"', '\\' -> value.append(escaped);
                    case 'n' -> value.append('\n');
                    case 'r' -> value.append('\r');
                    case 't' -> value.append('\t');
                    default -> throw new RuleSyntaxException(i + 1, (escaped == 0 ? "unterminated escape"
                            : "unknown escape '\\" + escaped + "'")
                            + " (expected one of \\\" \\\\ \\n \\r \\t; use backticks for regexps)");
                }
                i += 2;
            } else {
                value.append(c);
                i++;
            }
        }
        throw new RuleSyntaxException(column, "unterminated string: no closing '\"' for the one here");
    }

    private static boolean isNameStart(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    }

    private static boolean isNamePart(char c) {
        return isNameStart(c) || (c >= '0' && c <= '9');
    }
}
