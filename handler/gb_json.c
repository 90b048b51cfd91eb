#include "gb_json.h"

#include <string.h>

#include "gb_text.h"

/* One pass over the raw text: nesting depth, and escaped NULs inside
 * strings. The full syntax check is cJSON's. */
static bool prescan(const char *text, size_t len, const char *what,
                    struct gb_error *err)
{
  int depth = 0;
  bool in_string = false;
  size_t i;

  for (i = 0; i < len; i++) {
    char c = text[i];

    if (in_string) {
      if (c == '\\' && i + 1 < len) {
        if (text[i + 1] == 'u' && i + 5 < len &&
            memcmp(text + i + 2, "0000", 4) == 0)
          return gb_error_set(err, GB_ERR_INVALID, 0, what,
                              "%s: strings must not contain NUL (\\u0000)",
                              what);
        i++; /* skip the escaped character */
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > GB_JSON_MAX_DEPTH)
        return gb_error_set(err, GB_ERR_INVALID, 0, what,
                            "%s: JSON nested deeper than %d levels", what,
                            GB_JSON_MAX_DEPTH);
    } else if (c == '}' || c == ']') {
      depth--;
    }
  }
  return true;
}

cJSON *gb_json_parse(const char *text, size_t len, const char *what,
                     struct gb_error *err)
{
  const char *end = NULL;
  cJSON *root;

  if (len == 0 || !text) {
    gb_error_set(err, GB_ERR_INVALID, 0, what, "%s: empty, JSON expected",
                 what);
    return NULL;
  }
  if (memchr(text, '\0', len)) {
    gb_error_set(err, GB_ERR_INVALID, 0, what, "%s: contains a NUL byte",
                 what);
    return NULL;
  }
  if (!gb_utf8_valid(text, len)) {
    gb_error_set(err, GB_ERR_INVALID, 0, what, "%s: not valid UTF-8", what);
    return NULL;
  }
  if (!prescan(text, len, what, err))
    return NULL;

  root = cJSON_ParseWithLengthOpts(text, len, &end, false);
  if (!root) {
    gb_error_set(err, GB_ERR_INVALID, 0, what,
                 "%s: not valid JSON (near byte %zu)", what,
                 end ? (size_t)(end - text) : (size_t)0);
    return NULL;
  }
  while (end && (size_t)(end - text) < len && strchr(" \t\r\n", *end) && *end)
    end++;
  if (end && (size_t)(end - text) < len) {
    gb_error_set(err, GB_ERR_INVALID, 0, what,
                 "%s: unexpected data after the JSON value (byte %zu)", what,
                 (size_t)(end - text));
    cJSON_Delete(root);
    return NULL;
  }
  return root;
}

const cJSON *gb_json_unwrap(const cJSON *value, int max_levels,
                            const char *what, cJSON **owned,
                            struct gb_error *err)
{
  cJSON *tree = NULL;
  int level;

  *owned = NULL;
  for (level = 0; value && cJSON_IsString(value) && level < max_levels;
       level++) {
    const char *s = value->valuestring;
    cJSON *next = gb_json_parse(s, strlen(s), what, err);

    cJSON_Delete(tree); /* value pointed into it; s is no longer needed */
    tree = next;
    if (!next)
      return NULL;
    value = next;
  }
  *owned = tree;
  return value;
}

char *gb_json_print(const cJSON *value)
{
  return cJSON_PrintUnformatted(value);
}

cJSON *gb_json_error_body(const struct gb_error *err)
{
  cJSON *body = cJSON_CreateObject();
  cJSON *error = cJSON_AddObjectToObject(body, "error");

  cJSON_AddStringToObject(error, "code", gb_error_kind_name(err->kind));
  if (err->field[0])
    cJSON_AddStringToObject(error, "field", err->field);
  cJSON_AddStringToObject(error, "message", err->message);
  cJSON_AddBoolToObject(error, "retryable", gb_error_retryable(err));
  return body;
}
