package io.outpost.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Headers that stay the bytes they arrived as. An upstream's response head is kept as one byte
 * array with the offsets of each field; lookups, removals and additions work on that form, and
 * the client-facing encoder copies the surviving lines as they are instead of decoding them into
 * strings and encoding them back ({@link #writeTo}). Anything else (iteration, typed getters,
 * replacing a value in place) first turns the headers into ordinary {@link DefaultHttpHeaders},
 * after which this object simply delegates to them.
 */
final class RawHeaders extends HttpHeaders {

    /** Most fields a raw head may have; the decoder falls back to ordinary headers beyond it. */
    static final int MAX_FIELDS = 64;

    private final byte[] head;
    /** Per field: name start, name end, value start, value end (offsets into {@link #head}). */
    private final int[] at;
    private final int count;
    private long removed;
    /** Fields added to the head: name, value, name, value... ({@link #addedSize} entries in use). */
    private CharSequence[] added;
    private int addedSize;
    private DefaultHttpHeaders full;

    RawHeaders(byte[] head, int[] at, int count) {
        if (count > MAX_FIELDS) {
            throw new IllegalArgumentException("too many fields for raw headers: " + count);
        }
        this.head = head;
        this.at = at;
        this.count = count;
    }

    /** Whether {@link #writeTo} can copy the fields as they are (nothing forced a conversion). */
    boolean raw() {
        return full == null;
    }

    /** Writes every field as {@code name: value CRLF}; the surviving original lines byte for byte. */
    void writeTo(ByteBuf buf) {
        for (int i = 0; i < count; i++) {
            if ((removed & (1L << i)) == 0) {
                int start = at[4 * i];
                buf.writeBytes(head, start, at[4 * i + 3] - start);
                buf.writeShort(CRLF);
            }
        }
        if (addedSize > 0) {
            for (int i = 0; i < addedSize; i += 2) {
                ByteBufUtil.writeAscii(buf, added[i]);
                buf.writeShort(COLON_SPACE);
                ByteBufUtil.writeAscii(buf, added[i + 1]);
                buf.writeShort(CRLF);
            }
        }
    }

    private static final int CRLF = ('\r' << 8) | '\n';
    private static final int COLON_SPACE = (':' << 8) | ' ';

    private boolean nameIs(int i, CharSequence name) {
        return nameMatches(i, name, false);
    }

    private boolean nameMatches(int i, CharSequence name, boolean underscoreIsDash) {
        int start = at[4 * i];
        int len = at[4 * i + 1] - start;
        if (len != name.length()) {
            return false;
        }
        for (int k = 0; k < len; k++) {
            int a = head[start + k];
            int b = name.charAt(k);
            if (a != b && lower(a) != lower(b) && !(underscoreIsDash && a == '_' && b == '-')) {
                return false;
            }
        }
        return true;
    }

    /**
     * Removes {@code names} (lower case) from ordinary headers, and their forms written with {@code _}
     * for {@code -}; the second pass, which allocates, runs only when a field name has an {@code _}.
     */
    static void removeAll(HttpHeaders headers, CharSequence[] names) {
        for (CharSequence name : names) {
            headers.remove(name);
        }
        List<String> underscored = null;
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence(); it.hasNext(); ) {
            CharSequence field = it.next().getKey();
            if (indexOf(field, '_') >= 0) {
                String dashed = field.toString().replace('_', '-');
                for (CharSequence name : names) {
                    if (dashed.equalsIgnoreCase(name.toString())) {
                        if (underscored == null) {
                            underscored = new ArrayList<>(2);
                        }
                        underscored.add(field.toString());
                        break;
                    }
                }
            }
        }
        if (underscored != null) {
            underscored.forEach(headers::remove);
        }
    }

    private static int indexOf(CharSequence s, char c) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == c) {
                return i;
            }
        }
        return -1;
    }

    private static int lower(int c) {
        return c >= 'A' && c <= 'Z' ? c + 32 : c;
    }

    private boolean live(int i) {
        return (removed & (1L << i)) == 0;
    }

    private String value(int i) {
        int start = at[4 * i + 2];
        return new String(head, start, at[4 * i + 3] - start, StandardCharsets.ISO_8859_1);
    }

    private String name(int i) {
        int start = at[4 * i];
        return new String(head, start, at[4 * i + 1] - start, StandardCharsets.ISO_8859_1);
    }

    private DefaultHttpHeaders full() {
        DefaultHttpHeaders f = full;
        if (f == null) {
            f = new DefaultHttpHeaders(false);
            for (int i = 0; i < count; i++) {
                if (live(i)) {
                    f.add(name(i), value(i));
                }
            }
            if (addedSize > 0) {
                for (int i = 0; i < addedSize; i += 2) {
                    f.add(added[i], added[i + 1]);
                }
            }
            full = f;
        }
        return f;
    }

    // ---- served from the raw form ----

    @Override
    public String get(String name) {
        return get((CharSequence) name);
    }

    @Override
    public String get(CharSequence name) {
        if (full != null) {
            return full.get(name);
        }
        for (int i = 0; i < count; i++) {
            if (live(i) && nameIs(i, name)) {
                return value(i);
            }
        }
        if (addedSize > 0) {
            for (int i = 0; i < addedSize; i += 2) {
                if (HttpHeaders.equalsIgnoreCase(added[i], name)) {
                    return added[i + 1].toString();
                }
            }
        }
        return null;
    }

    @Override
    public List<String> getAll(String name) {
        return getAll((CharSequence) name);
    }

    @Override
    public List<String> getAll(CharSequence name) {
        if (full != null) {
            return full.getAll(name);
        }
        List<String> values = null;
        for (int i = 0; i < count; i++) {
            if (live(i) && nameIs(i, name)) {
                if (values == null) {
                    values = new ArrayList<>(2);
                }
                values.add(value(i));
            }
        }
        if (addedSize > 0) {
            for (int i = 0; i < addedSize; i += 2) {
                if (HttpHeaders.equalsIgnoreCase(added[i], name)) {
                    if (values == null) {
                        values = new ArrayList<>(2);
                    }
                    values.add(added[i + 1].toString());
                }
            }
        }
        return values == null ? Collections.emptyList() : values;
    }

    /** How many fields named {@code name} there are. */
    int count(CharSequence name) {
        if (full != null) {
            return full.getAll(name).size();
        }
        int n = 0;
        for (int i = 0; i < count; i++) {
            if (live(i) && nameIs(i, name)) {
                n++;
            }
        }
        if (addedSize > 0) {
            for (int i = 0; i < addedSize; i += 2) {
                if (HttpHeaders.equalsIgnoreCase(added[i], name)) {
                    n++;
                }
            }
        }
        return n;
    }

    /** Whether a field named {@code name} lists {@code value} among its comma-separated elements. */
    @Override
    public boolean containsValue(CharSequence name, CharSequence value, boolean ignoreCase) {
        if (full != null || addedSize > 0) {
            return super.containsValue(name, value, ignoreCase);
        }
        for (int i = 0; i < count; i++) {
            if (live(i) && nameIs(i, name) && listsElement(i, value, ignoreCase)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether every comma-separated element of every field named {@code name} is {@code a} or
     * {@code b} (ignoring case); true when there is no such field. False whenever the answer would
     * need the converted form.
     */
    boolean onlyValues(CharSequence name, CharSequence a, CharSequence b) {
        if (full != null || addedSize > 0) {
            return false;
        }
        for (int i = 0; i < count; i++) {
            if (live(i) && nameIs(i, name) && (elements(i, a, b, true) & OTHER_ELEMENT) != 0) {
                return false;
            }
        }
        return true;
    }

    private boolean listsElement(int i, CharSequence value, boolean ignoreCase) {
        return (elements(i, value, value, ignoreCase) & MATCHING_ELEMENT) != 0;
    }

    private static final int MATCHING_ELEMENT = 1;
    private static final int OTHER_ELEMENT = 2;

    /**
     * Walks the comma-separated elements of field {@code i} (trimmed, empty ones skipped): has
     * {@link #MATCHING_ELEMENT} when one equals {@code a} or {@code b}, {@link #OTHER_ELEMENT} when
     * one equals neither.
     */
    private int elements(int i, CharSequence a, CharSequence b, boolean ignoreCase) {
        int found = 0;
        int pos = at[4 * i + 2];
        int end = at[4 * i + 3];
        while (pos <= end) {
            int comma = pos;
            while (comma < end && head[comma] != ',') {
                comma++;
            }
            int s = pos;
            int e = comma;
            while (s < e && (head[s] == ' ' || head[s] == '\t')) {
                s++;
            }
            while (e > s && (head[e - 1] == ' ' || head[e - 1] == '\t')) {
                e--;
            }
            if (e > s) {
                found |= regionIs(s, e, a, ignoreCase) || regionIs(s, e, b, ignoreCase) ? MATCHING_ELEMENT : OTHER_ELEMENT;
            }
            pos = comma + 1;
        }
        return found;
    }

    private boolean regionIs(int s, int e, CharSequence value, boolean ignoreCase) {
        if (e - s != value.length()) {
            return false;
        }
        for (int k = 0; k < e - s; k++) {
            int x = head[s + k];
            int y = value.charAt(k);
            if (x != y && !(ignoreCase && lower(x) == lower(y))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean contains(String name) {
        return contains((CharSequence) name);
    }

    @Override
    public boolean contains(CharSequence name) {
        if (full != null) {
            return full.contains(name);
        }
        for (int i = 0; i < count; i++) {
            if (live(i) && nameIs(i, name)) {
                return true;
            }
        }
        if (addedSize > 0) {
            for (int i = 0; i < addedSize; i += 2) {
                if (HttpHeaders.equalsIgnoreCase(added[i], name)) {
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public HttpHeaders remove(String name) {
        return remove((CharSequence) name);
    }

    @Override
    public HttpHeaders remove(CharSequence name) {
        if (full != null) {
            full.remove(name);
            return this;
        }
        for (int i = 0; i < count; i++) {
            if (nameIs(i, name)) {
                removed |= 1L << i;
            }
        }
        if (addedSize > 0) {
            for (int i = addedSize - 2; i >= 0; i -= 2) {
                if (HttpHeaders.equalsIgnoreCase(added[i], name)) {
                    System.arraycopy(added, i + 2, added, i, addedSize - i - 2);
                    addedSize -= 2;
                    added[addedSize] = null;
                    added[addedSize + 1] = null;
                }
            }
        }
        return this;
    }

    /**
     * The first letters of {@code names} (lower case ASCII letters), as the set
     * {@link #removeAll} takes: computed once for a constant list of names.
     */
    static int firstLetters(CharSequence[] names) {
        int letters = 0;
        for (CharSequence name : names) {
            char c = name.charAt(0);
            if (c < 'a' || c > 'z') {
                throw new IllegalArgumentException("not a lower case name: " + name);
            }
            letters |= 1 << (c - 'a');
        }
        return letters;
    }

    /**
     * Removes every field named in {@code names} (lower case, starting with the letters
     * {@code firstLetters} holds: {@link #firstLetters}) in one pass over the head, written with
     * {@code _} for {@code -} too ({@code X_Forwarded_For}), which CGI-style servers read as the same
     * field. A request without such fields costs a check of one byte per field and allocates nothing.
     */
    void removeAll(CharSequence[] names, int firstLetters) {
        if (full != null) {
            removeAll(full, names);
            return;
        }
        removeMatching(names, firstLetters, true);
    }

    /**
     * Removes every field named in {@code names} exactly (ignoring case), in one pass over the head:
     * {@link #removeAll} without the {@code _} forms.
     */
    void removeEach(CharSequence[] names, int firstLetters) {
        if (full != null) {
            for (CharSequence name : names) {
                full.remove(name);
            }
            return;
        }
        removeMatching(names, firstLetters, false);
    }

    private void removeMatching(CharSequence[] names, int firstLetters, boolean underscoreIsDash) {
        for (int i = 0; i < count; i++) {
            int first = (head[at[4 * i]] | 0x20) - 'a';
            if (first >= 0 && first < 26 && (firstLetters & (1 << first)) != 0) {
                for (CharSequence name : names) {
                    if (nameMatches(i, name, underscoreIsDash)) {
                        removed |= 1L << i;
                        break;
                    }
                }
            }
        }
        if (addedSize > 0) {
            for (CharSequence name : names) {
                remove(name);
            }
        }
    }

    @Override
    public HttpHeaders add(String name, Object value) {
        return add((CharSequence) name, value);
    }

    @Override
    public HttpHeaders add(CharSequence name, Object value) {
        if (full != null || !(value instanceof CharSequence text)) {
            full().add(name, value);
            return this;
        }
        if (added == null) {
            // Room for what the gateway adds to a request (forwarding fields, Via, a request id)
            // without growing.
            added = new CharSequence[16];
        } else if (addedSize == added.length) {
            added = Arrays.copyOf(added, addedSize * 2);
        }
        added[addedSize++] = name;
        added[addedSize++] = text;
        return this;
    }

    @Override
    public HttpHeaders set(String name, Object value) {
        return set((CharSequence) name, value);
    }

    @Override
    public HttpHeaders set(CharSequence name, Object value) {
        if (full != null || !(value instanceof CharSequence)) {
            full().set(name, value);
            return this;
        }
        remove(name);
        return add(name, value);
    }

    @Override
    public boolean isEmpty() {
        return size() == 0;
    }

    @Override
    public int size() {
        if (full != null) {
            return full.size();
        }
        return count - Long.bitCount(removed) + addedSize / 2;
    }

    // ---- everything else converts once ----

    @Override
    public Integer getInt(CharSequence name) {
        return full().getInt(name);
    }

    @Override
    public int getInt(CharSequence name, int defaultValue) {
        return full().getInt(name, defaultValue);
    }

    @Override
    public Short getShort(CharSequence name) {
        return full().getShort(name);
    }

    @Override
    public short getShort(CharSequence name, short defaultValue) {
        return full().getShort(name, defaultValue);
    }

    @Override
    public Long getTimeMillis(CharSequence name) {
        return full().getTimeMillis(name);
    }

    @Override
    public long getTimeMillis(CharSequence name, long defaultValue) {
        return full().getTimeMillis(name, defaultValue);
    }

    @Override
    public List<Map.Entry<String, String>> entries() {
        return full().entries();
    }

    @Override
    public Iterator<Map.Entry<String, String>> iterator() {
        return full().iterator();
    }

    @Override
    public Iterator<Map.Entry<CharSequence, CharSequence>> iteratorCharSequence() {
        return full().iteratorCharSequence();
    }

    @Override
    public Set<String> names() {
        return full().names();
    }

    @Override
    public HttpHeaders add(String name, Iterable<?> values) {
        full().add(name, values);
        return this;
    }

    @Override
    public HttpHeaders addInt(CharSequence name, int value) {
        full().addInt(name, value);
        return this;
    }

    @Override
    public HttpHeaders addShort(CharSequence name, short value) {
        full().addShort(name, value);
        return this;
    }

    @Override
    public HttpHeaders set(String name, Iterable<?> values) {
        full().set(name, values);
        return this;
    }

    @Override
    public HttpHeaders setInt(CharSequence name, int value) {
        full().setInt(name, value);
        return this;
    }

    @Override
    public HttpHeaders setShort(CharSequence name, short value) {
        full().setShort(name, value);
        return this;
    }

    @Override
    public HttpHeaders clear() {
        full().clear();
        return this;
    }

    @Override
    public HttpHeaders copy() {
        return full().copy();
    }
}
