package io.outpost.router;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Validation and normalisation of matcher arguments, shared by the matcher records and the parser
 * so that a rule built in code obeys the same constraints as a parsed one. Every failure is an
 * {@link IllegalArgumentException} whose message says what was expected.
 */
final class Args {

    private Args() {
    }

    static <T> T notNull(T value, String what) {
        if (value == null) {
            throw new IllegalArgumentException(what + ": null (expected: a value)");
        }
        return value;
    }

    static <T> List<T> each(List<T> values, String what, UnaryOperator<T> check) {
        if (values == null || values.isEmpty()) {
            throw new IllegalArgumentException(what + ": " + values + " (expected: at least one value)");
        }
        List<T> checked = new ArrayList<>(values.size());
        for (T value : values) {
            checked.add(check.apply(notNull(value, what)));
        }
        return List.copyOf(checked);
    }

    static String host(String host) {
        notNull(host, "host");
        if (host.isEmpty()) {
            throw new IllegalArgumentException("empty host (expected: a host name such as example.com)");
        }
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if (c <= ' ' || c == '/' || c == '`' || c == '"') {
                throw new IllegalArgumentException("invalid host '" + host
                        + "' (expected: a host name without scheme, path or spaces, such as example.com)");
            }
        }
        return asciiLowerCase(host);
    }

    static String path(String path) {
        notNull(path, "path");
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("path '" + path + "' does not start with '/'");
        }
        return path;
    }

    static String method(String method) {
        notNull(method, "method");
        if (method.isEmpty() || !isToken(method)) {
            throw new IllegalArgumentException("invalid method '" + method + "' (expected: a token such as GET)");
        }
        return asciiUpperCase(method);
    }

    static String headerName(String name) {
        notNull(name, "header name");
        if (name.isEmpty() || !isToken(name)) {
            throw new IllegalArgumentException("invalid header name '" + name
                    + "' (expected: a token such as X-Canary)");
        }
        return name;
    }

    static String queryKey(String key) {
        notNull(key, "query key");
        if (key.isEmpty()) {
            throw new IllegalArgumentException("empty query key (expected: a parameter name)");
        }
        return key;
    }

    static Pattern regexp(String source, int flags) {
        notNull(source, "regexp");
        try {
            return Pattern.compile(source, flags);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("invalid regexp '" + source + "': " + e.getDescription()
                    + (e.getIndex() >= 0 ? " near index " + e.getIndex() : ""), e);
        }
    }

    /** The pattern itself when it already has exactly these flags, else recompiled with them. */
    static Pattern withFlags(Pattern regexp, int flags) {
        notNull(regexp, "regexp");
        return regexp.flags() == flags ? regexp : regexp(regexp.pattern(), flags);
    }

    static boolean asciiEqualsIgnoreCase(String expectedLower, String actual) {
        int n = expectedLower.length();
        if (actual == null || actual.length() != n) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char a = actual.charAt(i);
            if (a >= 'A' && a <= 'Z') {
                a = (char) (a + ('a' - 'A'));
            }
            if (a != expectedLower.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    static String asciiLowerCase(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 'A' && c <= 'Z') {
                char[] chars = s.toCharArray();
                for (int j = i; j < chars.length; j++) {
                    if (chars[j] >= 'A' && chars[j] <= 'Z') {
                        chars[j] = (char) (chars[j] + ('a' - 'A'));
                    }
                }
                return new String(chars);
            }
        }
        return s;
    }

    private static String asciiUpperCase(String s) {
        char[] chars = s.toCharArray();
        for (int j = 0; j < chars.length; j++) {
            if (chars[j] >= 'a' && chars[j] <= 'z') {
                chars[j] = (char) (chars[j] - ('a' - 'A'));
            }
        }
        return new String(chars);
    }

    private static boolean isToken(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** Renders a matcher call in canonical syntax. */
    static String render(String name, List<String> values) {
        StringBuilder out = new StringBuilder(name).append('(');
        for (int i = 0; i < values.size(); i++) {
            out.append(i > 0 ? ", " : "").append(quote(values.get(i)));
        }
        return out.append(')').toString();
    }

    /** Quotes a value in backticks, or in double quotes with escapes when it contains a backtick. */
    static String quote(String value) {
        if (value.indexOf('`') < 0) {
            return '`' + value + '`';
        }
        StringBuilder out = new StringBuilder(value.length() + 4).append('"');
        for (int j = 0; j < value.length(); j++) {
            char c = value.charAt(j);
            switch (c) {
                case '"', '\\' -> out.append('\\').append(c);
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                case '\r' -> out.append("\\r");
                default -> out.append(c);
            }
        }
        return out.append('"').toString();
    }
}
