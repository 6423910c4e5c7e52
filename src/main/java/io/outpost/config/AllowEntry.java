package io.outpost.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One entry of a router's {@code allow} list: a consumer name ({@code pos}), a claim match
 * ({@code claim:aud=inventory}) or a network ({@code 10.1.0.0/16}). A request passes when it matches
 * any entry of the list.
 */
public sealed interface AllowEntry extends Scalar {

    /** A consumer named by an authentication middleware (apiKey, basicAuth, or jwt's consumer claim). */
    record Consumer(String name) implements AllowEntry {
        public Consumer {
            Objects.requireNonNull(name, "name");
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** A validated JWT claim equal to {@code value}, or an array claim that contains it. */
    record Claim(String name, String value) implements AllowEntry {
        public Claim {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
        }

        @Override
        public String toString() {
            return "claim:" + name + "=" + value;
        }
    }

    /** The client's address within {@code range}. */
    record Network(Cidr range, String text) implements AllowEntry {
        public Network {
            Objects.requireNonNull(range, "range");
            Objects.requireNonNull(text, "text");
        }

        @Override
        public String toString() {
            return text;
        }
    }

    /**
     * Parses one entry. Text that starts with a digit or contains a colon outside {@code claim:} is an IP
     * range; anything else is a consumer name.
     *
     * @throws IllegalArgumentException with a message fit for a configuration error
     */
    static AllowEntry parse(String text) {
        String s = text.strip();
        if (s.isEmpty()) {
            throw new IllegalArgumentException("must not be empty (expected: a consumer, claim:NAME=VALUE or a CIDR)");
        }
        if (s.startsWith("claim:")) {
            int eq = s.indexOf('=');
            if (eq <= "claim:".length() || eq == s.length() - 1) {
                throw new IllegalArgumentException("\"" + text + "\" is not a claim match (expected: claim:NAME=VALUE)");
            }
            return new Claim(s.substring("claim:".length(), eq), s.substring(eq + 1));
        }
        if (Character.isDigit(s.charAt(0)) || s.indexOf(':') >= 0) {
            return new Network(Cidr.parse(s), s);
        }
        if (!s.matches("[A-Za-z0-9._@-]+")) {
            throw new IllegalArgumentException("\"" + text + "\" is not a consumer name (expected letters, digits, . _ @ -)");
        }
        return new Consumer(s);
    }

    /** Binds the list at {@code key}; bad entries are reported with their index and left out. */
    static List<AllowEntry> bindList(Node node, String key) {
        List<AllowEntry> out = new ArrayList<>();
        for (Node item : node.list(key)) {
            item.parse(AllowEntry::parse).ifPresent(out::add);
        }
        if (node.has(key) && node.at(key).isList() && out.isEmpty() && node.list(key).isEmpty()) {
            node.at(key).error("expected at least one entry (remove the key to allow everyone)");
        }
        return out;
    }
}
