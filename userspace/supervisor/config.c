// SPDX-License-Identifier: GPL-2.0
/*
 * etssup: the config file parser (format in config.h and etssup(8)).
 * Values go through the same setters as the command line (spec.c); this
 * file adds the structure: stanzas, duplicates, line numbers.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

/*
 * Keys set so far in the current section, to reject a second setting:
 * room for every key of a section (a child has 14), each as long as the
 * longest, restart-max-delay-sec.
 */
#define MAX_KEYS 16
#define MAX_KEY_LEN 32

struct parser {
	const char *path;
	unsigned int line;
	struct sup_spec *spec;
	struct child_spec *child;	/* the current stanza's, or NULL */
	unsigned int *header_lines;	/* of each child's stanza */
	struct {
		char key[MAX_KEY_LEN];
		unsigned int line;
	} seen[MAX_KEYS];
	size_t nseen;
	char *err;
};

static int __attribute__((format(printf, 2, 3)))
fail(struct parser *p, const char *fmt, ...)
{
	int n = snprintf(p->err, SPEC_ERR_MAX, "%s:%u: ", p->path, p->line);
	va_list ap;

	if (n < 0 || n >= SPEC_ERR_MAX)
		n = 0;
	va_start(ap, fmt);
	vsnprintf(p->err + n, SPEC_ERR_MAX - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static char *trim(char *s)
{
	char *end = s + strlen(s);

	while (isspace((unsigned char)*s))
		s++;
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/*
 * Split a command into words, as a shell would without expansions (see
 * config.h). Returns the NULL-terminated words, or NULL after fail().
 */
static char **split_words(struct parser *p, const char *s)
{
	size_t max = strlen(s) / 2 + 2;	/* words need a blank between */
	char **words = calloc(max, sizeof(*words));
	char *word = malloc(strlen(s) + 1);
	size_t n = 0;

	if (!words || !word) {
		fail(p, "%s", strerror(errno));
		goto err;
	}
	for (;;) {
		size_t len = 0;

		while (isblank((unsigned char)*s))
			s++;
		if (*s == '\0')
			break;
		while (*s && !isblank((unsigned char)*s)) {
			char quote = *s;

			if (quote == '\'' || quote == '"') {
				for (s++; *s && *s != quote; s++) {
					if (quote == '"' && *s == '\\' &&
					    (s[1] == '"' || s[1] == '\\'))
						s++;
					word[len++] = *s;
				}
				if (*s == '\0') {
					fail(p, "command: unterminated %c quote",
					     quote);
					goto err;
				}
				s++;
			} else if (*s == '\\') {
				if (s[1] == '\0') {
					fail(p, "command: backslash at the end of the line");
					goto err;
				}
				word[len++] = s[1];
				s += 2;
			} else {
				word[len++] = *s++;
			}
		}
		words[n] = strndup(word, len);
		if (!words[n++]) {
			fail(p, "%s", strerror(errno));
			goto err;
		}
	}
	free(word);
	return words;
err:
	free(word);
	argv_free(words);
	return NULL;
}

/* Remember key in this section; fail if it was already set. */
static int once(struct parser *p, const char *key)
{
	for (size_t i = 0; i < p->nseen; i++)
		if (strcmp(p->seen[i].key, key) == 0)
			return fail(p, "'%s' already set on line %u", key,
				    p->seen[i].line);
	/* Keys are known by now, so short and fewer than MAX_KEYS. */
	if (p->nseen < MAX_KEYS) {
		snprintf(p->seen[p->nseen].key, sizeof(p->seen[0].key), "%s",
			 key);
		p->seen[p->nseen++].line = p->line;
	}
	return 0;
}

/* The stanza that ends must have a command. */
static int end_child(struct parser *p)
{
	if (p->child && !p->child->argv) {
		p->line = p->header_lines[p->child - p->spec->children];
		return fail(p, "child %s has no command", p->child->id);
	}
	return 0;
}

static int begin_child(struct parser *p, char *header)
{
	char msg[SPEC_ERR_MAX];
	char *inner, *id;
	unsigned int *lines;
	size_t i;

	if (end_child(p) < 0)
		return -1;
	inner = trim(header + 1);
	if (inner[0] == '\0' || inner[strlen(inner) - 1] != ']')
		return fail(p, "expected a stanza header [child ID]");
	inner[strlen(inner) - 1] = '\0';
	inner = trim(inner);
	if (strncmp(inner, "child", 5) != 0 ||
	    !isblank((unsigned char)inner[5]))
		return fail(p, "expected a stanza header [child ID], not [%.64s]",
			    inner);
	id = trim(inner + 5);
	for (i = 0; i < p->spec->nchildren; i++)
		if (strcmp(p->spec->children[i].id, id) == 0)
			return fail(p, "child %s already defined on line %u",
				    id, p->header_lines[i]);

	lines = realloc(p->header_lines, (i + 1) * sizeof(*lines));
	if (!lines)
		return fail(p, "%s", strerror(errno));
	p->header_lines = lines;
	lines[i] = p->line;
	p->child = sup_spec_add_child(p->spec);
	if (!p->child)
		return fail(p, "%s", strerror(errno));
	if (child_spec_set(p->child, "id", id, msg) < 0)
		return fail(p, "child id: %s", msg);
	p->nseen = 0;
	return 0;
}

static int set_child_key(struct parser *p, const char *key, const char *value)
{
	char msg[SPEC_ERR_MAX];
	char **words;
	int ret;

	if (strcmp(key, "command") == 0) {
		words = split_words(p, value);
		if (!words)
			return -1;
		if (!words[0]) {
			argv_free(words);
			return fail(p, "command: no words");
		}
		child_spec_set_argv(p->child, words);
		return 0;
	}
	if (strcmp(key, "id") == 0)
		return fail(p, "a child's id is given by its [child ID] header");
	ret = child_spec_set(p->child, key, value, msg);
	if (ret == SPEC_UNKNOWN_KEY)
		return fail(p, "unknown child setting '%.64s' (expected command, %s)",
			    key, CHILD_KEYS);
	if (ret < 0)
		return fail(p, "%s: %s", key, msg);
	return 0;
}

static int set_sup_key(struct parser *p, const char *key, const char *value)
{
	char msg[SPEC_ERR_MAX];
	int ret = sup_spec_set(p->spec, key, value, msg);

	if (ret == SPEC_UNKNOWN_KEY)
		return fail(p, "unknown supervisor setting '%.64s' (expected %s; child settings go in a [child ID] stanza)",
			    key, SUP_KEYS);
	if (ret < 0)
		return fail(p, "%s: %s", key, msg);
	return 0;
}

static int parse_line(struct parser *p, char *line)
{
	char *eq, *key, *value;

	line = trim(line);
	if (line[0] == '\0' || line[0] == '#')
		return 0;
	if (line[0] == '[')
		return begin_child(p, line);
	eq = strchr(line, '=');
	if (!eq)
		return fail(p, "expected 'key = value', a [child ID] header or a # comment");
	*eq = '\0';
	key = trim(line);
	value = trim(eq + 1);
	if (key[0] == '\0')
		return fail(p, "no key before '='");
	if (value[0] == '\0')
		return fail(p, "'%.64s' has no value", key);
	if (once(p, key) < 0)
		return -1;
	return p->child ? set_child_key(p, key, value) :
			  set_sup_key(p, key, value);
}

int config_load(const char *path, struct sup_spec *spec,
		char err[SPEC_ERR_MAX])
{
	struct parser p = { .path = path, .spec = spec, .err = err };
	char *line = NULL;
	size_t cap = 0;
	int ret = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		snprintf(err, SPEC_ERR_MAX, "cannot read %s: %s", path,
			 strerror(errno));
		return -1;
	}
	while (ret == 0 && getline(&line, &cap, f) > 0) {
		p.line++;
		ret = parse_line(&p, line);
	}
	if (ret == 0 && ferror(f)) {
		snprintf(err, SPEC_ERR_MAX, "cannot read %s: %s", path,
			 strerror(errno));
		ret = -1;
	}
	if (ret == 0)
		ret = end_child(&p);
	if (ret == 0 && spec->nchildren == 0) {
		snprintf(err, SPEC_ERR_MAX, "%s: no [child ID] stanza", path);
		ret = -1;
	}
	free(line);
	free(p.header_lines);
	fclose(f);
	return ret;
}
