package io.wstunnel.protocol;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/** An ordered, immutable list of header fields; a name may repeat. Lookups ignore case. */
public record Headers(List<Header> fields) {
    public static final Headers EMPTY = new Headers(List.of());

    /** Hop-by-hop headers (RFC 9110 §7.6.1 plus the legacy ones) that a proxy never forwards. */
    public static final Set<String> HOP_BY_HOP = Set.of(
            "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
            "te", "trailer", "trailers", "transfer-encoding", "upgrade");

    public Headers {
        fields = List.copyOf(fields);
    }

    public static Headers of(String... namesAndValues) {
        if (namesAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("names and values must come in pairs");
        }
        List<Header> list = new ArrayList<>(namesAndValues.length / 2);
        for (int i = 0; i < namesAndValues.length; i += 2) {
            list.add(new Header(namesAndValues[i], namesAndValues[i + 1]));
        }
        return new Headers(list);
    }

    public int size() {
        return fields.size();
    }

    /** @return the first value of the named header, or null */
    public String first(String name) {
        for (Header h : fields) {
            if (h.name().equalsIgnoreCase(name)) {
                return h.value();
            }
        }
        return null;
    }

    public List<String> all(String name) {
        List<String> out = new ArrayList<>(2);
        for (Header h : fields) {
            if (h.name().equalsIgnoreCase(name)) {
                out.add(h.value());
            }
        }
        return out;
    }

    public boolean contains(String name) {
        return first(name) != null;
    }

    public Headers without(Predicate<Header> drop) {
        List<Header> out = new ArrayList<>(fields.size());
        for (Header h : fields) {
            if (!drop.test(h)) {
                out.add(h);
            }
        }
        return out.size() == fields.size() ? this : new Headers(out);
    }

    /** @return these headers without the named ones (case-insensitive) */
    public Headers without(Collection<String> names) {
        return without(h -> named(h.name(), names));
    }

    /**
     * @return these headers without hop-by-hop fields, including any named in {@code Connection}
     */
    public Headers withoutHopByHop() {
        List<String> listed = null; // tokens of Connection headers, rare
        for (Header h : fields) {
            if (h.name().equalsIgnoreCase("connection")) {
                for (String token : h.value().split(",")) {
                    String t = token.trim();
                    if (!t.isEmpty()) {
                        if (listed == null) {
                            listed = new ArrayList<>();
                        }
                        listed.add(t);
                    }
                }
            }
        }
        List<String> extra = listed;
        return without(h -> named(h.name(), HOP_BY_HOP) || (extra != null && named(h.name(), extra)));
    }

    /** Case-insensitive membership without allocating (header names are short, the lists small). */
    private static boolean named(String name, Collection<String> names) {
        for (String n : names) {
            if (n.length() == name.length() && n.equalsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }

    public Headers with(String name, String value) {
        List<Header> out = new ArrayList<>(fields.size() + 1);
        out.addAll(fields);
        out.add(new Header(name, value));
        return new Headers(out);
    }

    /** @return these headers with every field of that name replaced by one field */
    public Headers replacing(String name, String value) {
        return without(List.of(name)).with(name, value);
    }

}
