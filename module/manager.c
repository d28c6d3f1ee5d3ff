// SPDX-License-Identifier: GPL-2.0
/*
 * The manager's state, and draining it for an unload (the Erlang "table
 * manager crash", made safe): start refuses new sessions and tells the
 * existing ones to let go, keeping their mappings; finish, once they have,
 * drops every table from the registry so that rmmod can succeed, refusing
 * while a held table that no process maps would be lost. After the reload
 * the clients adopt their tables back by address (dev_adopt.c).
 *
 * Sessions poll etsmgr_manager_wq for a change of the state.
 *
 * Locking: the state and the registry are under etsmgr_lock; the state is
 * written with WRITE_ONCE(), for etsmgr_poll(), which reads it without.
 */

#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/wait.h>
#include <net/netlink.h>

#include "etsmgr.h"

u32 etsmgr_manager_state = ETSMGR_MANAGER_RUNNING;
DECLARE_WAIT_QUEUE_HEAD(etsmgr_manager_wq);

void etsmgr_drain_start(void)
{
	mutex_lock(&etsmgr_lock);
	if (etsmgr_manager_state == ETSMGR_MANAGER_RUNNING) {
		WRITE_ONCE(etsmgr_manager_state, ETSMGR_MANAGER_DRAINING);
		etsmgr_event(ETSMGR_EVENT_MANAGER_STOPPING, NULL,
			     task_tgid(current));
	}
	mutex_unlock(&etsmgr_lock);
	wake_up_all(&etsmgr_manager_wq);
}

int etsmgr_drain_finish(bool discard, struct netlink_ext_ack *extack)
{
	int err = 0;

	mutex_lock(&etsmgr_lock);
	if (etsmgr_manager_state == ETSMGR_MANAGER_RUNNING) {
		NL_SET_ERR_MSG_MOD(extack, "no drain started");
		err = -EINVAL;
	} else if (etsmgr_counters.sessions) {
		NL_SET_ERR_MSG_MOD(extack, "sessions are still open");
		err = -EBUSY;
	} else {
		err = etsmgr_registry_release(discard);
		if (err)
			NL_SET_ERR_MSG_MOD(extack,
					   "held tables that no process maps would be lost");
		else
			WRITE_ONCE(etsmgr_manager_state,
				   ETSMGR_MANAGER_DRAINED);
	}
	mutex_unlock(&etsmgr_lock);
	return err;
}

void etsmgr_drain_abort(void)
{
	mutex_lock(&etsmgr_lock);
	WRITE_ONCE(etsmgr_manager_state, ETSMGR_MANAGER_RUNNING);
	mutex_unlock(&etsmgr_lock);
	wake_up_all(&etsmgr_manager_wq);
}
