package io.outpost.router;

/**
 * An IPv4 or IPv6 address parsed from its textual form without any name lookup, so a rule or a
 * client address can never trigger DNS. IPv4-mapped IPv6 addresses are treated as IPv4. IPv4 is
 * held in the low 32 bits of {@code low}.
 */
record IpAddress(boolean ipv6, long high, long low) {

    /** Parses a literal as written in a rule: no brackets, no zone. Null when it is not one. */
    static IpAddress parseLiteral(String text) {
        return parse(text, 0, text.length());
    }

    /** Parses a client address, tolerating {@code [..]} around IPv6 and a {@code %zone}. */
    static IpAddress parseOrNull(String text) {
        int start = 0;
        int end = text.length();
        if (end >= 2 && text.charAt(0) == '[' && text.charAt(end - 1) == ']') {
            start = 1;
            end--;
        }
        int zone = text.indexOf('%', start);
        if (zone >= 0 && zone < end) {
            end = zone;
        }
        return parse(text, start, end);
    }

    private static IpAddress parse(String s, int start, int end) {
        int colon = s.indexOf(':', start);
        if (colon < 0 || colon >= end) {
            long v4 = parseIpv4(s, start, end);
            return v4 < 0 ? null : new IpAddress(false, 0, v4);
        }
        return parseIpv6(s, start, end);
    }

    /** The IPv4 value as an unsigned 32-bit number, or -1. Leading zeros are rejected (octal). */
    static long parseIpv4(String s, int start, int end) {
        long value = 0;
        int parts = 0;
        int i = start;
        while (parts < 4) {
            int digitsStart = i;
            int part = 0;
            while (i < end && i - digitsStart < 4 && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                part = part * 10 + (s.charAt(i) - '0');
                i++;
            }
            int digits = i - digitsStart;
            if (digits == 0 || digits > 3 || part > 255 || (digits > 1 && s.charAt(digitsStart) == '0')) {
                return -1;
            }
            value = (value << 8) | part;
            parts++;
            if (parts < 4) {
                if (i >= end || s.charAt(i) != '.') {
                    return -1;
                }
                i++;
            }
        }
        return i == end ? value : -1;
    }

    private static IpAddress parseIpv6(String s, int start, int end) {
        int[] groups = new int[8];
        int count = 0;
        int gap = -1;
        int i = start;
        if (end - i >= 2 && s.charAt(i) == ':' && s.charAt(i + 1) == ':') {
            gap = 0;
            i += 2;
        } else if (i < end && s.charAt(i) == ':') {
            return null;
        }
        while (i < end) {
            if (count == 8) {
                return null;
            }
            int j = i;
            int group = 0;
            while (j < end && j - i < 5 && hex(s.charAt(j)) >= 0) {
                group = group * 16 + hex(s.charAt(j));
                j++;
            }
            if (j < end && s.charAt(j) == '.') {
                long v4 = count <= 6 ? parseIpv4(s, i, end) : -1;
                if (v4 < 0) {
                    return null;
                }
                groups[count++] = (int) (v4 >>> 16);
                groups[count++] = (int) (v4 & 0xffff);
                i = end;
                break;
            }
            if (j == i || j - i > 4) {
                return null;
            }
            groups[count++] = group;
            i = j;
            if (i == end) {
                break;
            }
            if (s.charAt(i) != ':') {
                return null;
            }
            i++;
            if (i < end && s.charAt(i) == ':') {
                if (gap >= 0) {
                    return null;
                }
                gap = count;
                i++;
            } else if (i == end) {
                return null;
            }
        }
        if (gap < 0 ? count != 8 : count > 7) {
            return null;
        }
        if (gap >= 0) {
            int tail = count - gap;
            System.arraycopy(groups, gap, groups, 8 - tail, tail);
            java.util.Arrays.fill(groups, gap, 8 - tail, 0);
        }
        long high = 0;
        long low = 0;
        for (int g = 0; g < 4; g++) {
            high = (high << 16) | groups[g];
            low = (low << 16) | groups[g + 4];
        }
        if (high == 0 && (low >>> 32) == 0xffffL) {
            return new IpAddress(false, 0, low & 0xffffffffL);
        }
        return new IpAddress(true, high, low);
    }

    /** The value of an ASCII hex digit, or -1 (unlike Character.digit, no other scripts' digits). */
    static int hex(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    }

    @Override
    public String toString() {
        if (!ipv6) {
            return (low >>> 24) + "." + ((low >>> 16) & 0xff) + "." + ((low >>> 8) & 0xff) + "." + (low & 0xff);
        }
        int[] groups = new int[8];
        for (int g = 0; g < 4; g++) {
            groups[g] = (int) ((high >>> (48 - 16 * g)) & 0xffff);
            groups[g + 4] = (int) ((low >>> (48 - 16 * g)) & 0xffff);
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int g = 0; g < 8; ) {
            int run = 0;
            while (g + run < 8 && groups[g + run] == 0) {
                run++;
            }
            if (run > bestLength) {
                bestStart = g;
                bestLength = run;
            }
            g += Math.max(run, 1);
        }
        StringBuilder out = new StringBuilder();
        for (int g = 0; g < 8; g++) {
            if (g == bestStart) {
                out.append("::");
                g += bestLength - 1;
                continue;
            }
            if (!out.isEmpty() && out.charAt(out.length() - 1) != ':') {
                out.append(':');
            }
            out.append(Integer.toHexString(groups[g]));
        }
        return out.toString();
    }
}
