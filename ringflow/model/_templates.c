/* Which texts need a real look as Liquid: ringflow/model/fastcheck.py's ``templates_ok``
 * uses it, and falls back to the regex it stands in for (fieldcheck.SIMPLE_TEMPLATE_RE).
 *
 * Why C: nearly every text of a flow is plain or prints dotted paths ("Hi {{trigger.call.From}}"),
 * and the regex that recognises those cost 0.27 us a text, most of the template checks of a
 * 500,000-node flow. This scanner recognises the same texts in one pass over their characters.
 * It may leave a fine text unclear (the regex and the parser then decide), never the reverse:
 * tests/model/test_templates.py holds it to the regex.
 *
 * unclear(texts) returns the items that contain "{" and are not plain text with outputs of
 * the form {{ name[.name...][[digits]][.word...] }}, and any item that is not a str.
 */
#include "_kernels.h"

static int is_word(Py_UCS4 c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* 1: the regex surely matches; 0: the regex and the parser must decide. */
static int surely_simple(PyObject *text) {
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), i = 0;
#define AT(k) ((k) < n ? PyUnicode_READ(kind, data, (k)) : 0)
    while (i < n) {
        Py_UCS4 c = AT(i);
        if (c == '}' || c == '%')
            return 0;
        if (c != '{') {
            i++;
            continue;
        }
        /* an output: {{ ?name[\w.]*(\[\d+\](\.\w+)*)? ?}} with ASCII word characters only
         * (the regex's \w takes other letters too: those texts stay unclear) */
        if (AT(i + 1) != '{')
            return 0;
        i += 2;
        if (AT(i) == ' ')
            i++;
        c = AT(i);
        if (!(is_word(c) && !(c >= '0' && c <= '9')))
            return 0;
        while (is_word(AT(i)) || AT(i) == '.')
            i++;
        if (AT(i) == '[') {
            Py_ssize_t digits = ++i;
            while (AT(i) >= '0' && AT(i) <= '9')
                i++;
            if (i == digits || AT(i) != ']')
                return 0;
            i++;
            while (AT(i) == '.' && is_word(AT(i + 1))) {
                i++;
                while (is_word(AT(i)))
                    i++;
            }
        }
        if (AT(i) == ' ')
            i++;
        if (AT(i) != '}' || AT(i + 1) != '}')
            return 0;
        i += 2;
    }
#undef AT
    return 1;
}

PyObject *rf_unclear(PyObject *module, PyObject *texts) {
    if (!PyList_Check(texts)) {
        PyErr_SetString(PyExc_TypeError, "unclear() takes a list");
        return NULL;
    }
    PyObject *found = PyList_New(0);
    if (found == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(texts); i++) {
        PyObject *text = PyList_GET_ITEM(texts, i);
        if (PyUnicode_CheckExact(text)) {
            Py_ssize_t brace = PyUnicode_FindChar(text, '{', 0, PyUnicode_GET_LENGTH(text), 1);
            if (brace == -1)
                continue;
            if (brace == -2)
                goto error;
            if (surely_simple(text))
                continue;
        }
        if (PyList_Append(found, text) < 0)
            goto error;
    }
    return found;
error:
    Py_DECREF(found);
    return NULL;
}
