/* SPDX-License-Identifier: GPL-2.0 */
/*
 * etssup: the config file (--config FILE), for several children:
 *
 *   # a comment line
 *   name = counter              supervisor settings first:
 *   strategy = one_for_all      name, strategy, intensity, period,
 *   intensity = 3               state-dir, log
 *
 *   [child etscounterd]         one stanza per child, in start order
 *   command = /usr/sbin/etscounterd --socket '/run/my socket'
 *   restart = permanent         and restart, shutdown, keep-caps
 *
 * Keys are the long options of the same names. The command is split into
 * words as a shell would, without any expansion: blanks separate words,
 * '...' quotes literally, "..." quotes with \" and \\ escapes, and a
 * backslash outside quotes takes the next character as it is.
 */
#ifndef ETSSUP_CONFIG_H
#define ETSSUP_CONFIG_H

#include "spec.h"

/*
 * Read FILE into spec, which has no children yet; its settings override
 * what spec holds. 0, or -1 with a message that starts with "FILE:LINE: "
 * for an error in the file.
 */
int config_load(const char *path, struct sup_spec *spec,
		char err[SPEC_ERR_MAX]);

#endif
