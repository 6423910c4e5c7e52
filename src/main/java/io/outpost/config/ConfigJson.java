package io.outpost.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Renders configuration as JSON for the admin API, in the same shape and notation as the file
 * (durations as {@code "1s"}, middlewares and services keyed by type). It walks records generically,
 * so new fields show up without code here, and every {@link Secret} field is replaced by
 * {@value #REDACTED}: a secret cannot leak by someone forgetting to hide it.
 *
 * <pre>{@code
 * JsonNode body = ConfigJson.render(config.http().services().get("pos"));
 * }</pre>
 */
public final class ConfigJson {

    public static final String REDACTED = "******";
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private ConfigJson() {}

    /** Renders any configuration value: a whole snapshot, one service, one router. */
    public static JsonNode render(Object value) {
        if (value == null) {
            return JSON.nullNode();
        }
        if (value instanceof MiddlewareConfig || value instanceof ServiceConfig) {
            String type = value instanceof MiddlewareConfig m ? m.type() : ((ServiceConfig) value).type();
            ObjectNode typed = JSON.objectNode();
            typed.set(type, record((Record) value));
            return typed;
        }
        if (value instanceof Scalar || value instanceof Enum<?> || value instanceof Path || value instanceof String) {
            return JSON.textNode(value.toString());
        }
        if (value instanceof Duration d) {
            return JSON.textNode(Durations.format(d));
        }
        if (value instanceof Boolean b) {
            return JSON.booleanNode(b);
        }
        if (value instanceof Integer i) {
            return JSON.numberNode(i);
        }
        if (value instanceof Long l) {
            return JSON.numberNode(l);
        }
        if (value instanceof Double d) {
            return JSON.numberNode(d);
        }
        if (value instanceof Optional<?> o) {
            return render(o.orElse(null));
        }
        if (value instanceof OptionalInt o) {
            return o.isPresent() ? JSON.numberNode(o.getAsInt()) : JSON.nullNode();
        }
        if (value instanceof Map<?, ?> map) {
            ObjectNode out = JSON.objectNode();
            map.forEach((k, v) -> out.set(String.valueOf(k), render(v)));
            return out;
        }
        if (value instanceof Collection<?> items) {
            ArrayNode out = JSON.arrayNode();
            items.forEach(item -> out.add(render(item)));
            return out;
        }
        if (value instanceof Record r) {
            return record(r);
        }
        throw new IllegalArgumentException("cannot render " + value.getClass().getName());
    }

    /** Absent optional values are left out, as they would be in the file. */
    private static ObjectNode record(Record value) {
        ObjectNode out = JSON.objectNode();
        for (RecordComponent component : value.getClass().getRecordComponents()) {
            Object field = read(component, value);
            if (field instanceof Optional<?> o && o.isEmpty() || field instanceof OptionalInt oi && oi.isEmpty()) {
                continue;
            }
            out.set(component.getName(),
                    component.isAnnotationPresent(Secret.class) ? JSON.textNode(REDACTED) : render(field));
        }
        return out;
    }

    private static Object read(RecordComponent component, Record value) {
        try {
            return component.getAccessor().invoke(value);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("cannot read " + component, e);
        }
    }
}
