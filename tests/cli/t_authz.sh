#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A central authority may change the records of its own States only; only
# approvers approve or reject.
set -euo pipefail
source "${VL_SOURCE_DIR:?VL_SOURCE_DIR must name the source tree}/tests/cli/lib.sh"
vl_network
snapshot "$T/snap.0"

# MU's authority on MG's record: --set, --delete, a file, and a new record.
refused 1 "not permitted: mu \(key [0-9a-f]{16}\) may not edit records of MG \(record MG-01\)" \
    propose --key "$T/mu.key" --set MG-01 'office_hours=Closed'
refused 1 "not permitted.*may not edit records of MG" propose --key "$T/mu.key" --delete MG-01
sed 's/"MG-01"/"MG-02"/' "$DATA/MG-01.json" >"$T/mg2.json"
refused 1 "not permitted.*may not edit records of MG \(record MG-02\)" \
    propose --key "$T/mu.key" --file "$T/mg2.json"
# An agreement binds both parties: MU alone may not propose it.
sed 's/"IOC-BIL-MU-MG"/"IOC-BIL-MU-MG-2"/' "$DATA/IOC-BIL-MU-MG.json" >"$T/agr.json"
refused 1 "not permitted.*may not edit records of MG" propose --key "$T/mu.key" --file "$T/agr.json"
# A mixed file is refused whole: nothing of it is proposed.
printf '[%s,%s]' "$(sed 's/"+230 5550 1111"/"+230 5550 9999"/' "$DATA/MU-01.json")" \
    "$(cat "$T/mg2.json")" >"$T/mixed.json"
refused 1 "not permitted.*MG-02" propose --key "$T/mu.key" --file "$T/mixed.json"
# A node key is a member but not an author.
refused 1 "not permitted.*neither an authority nor an approver" \
    propose --key "$T/node.key" --set MU-01 'office_hours=Closed'
unchanged "$T/snap.0"

# MU on its own record is fine; MG may not approve or reject it, nor may MU.
id=$(propose_id --key "$T/mu.key" --set MU-01 'office_hours=Monday-Thursday 09:00-15:00')
snapshot "$T/snap.1"
refused 1 "not permitted.*not an approver" approve "$id" --key "$T/mu.key"
refused 1 "not permitted.*not an approver" approve "$id" --key "$T/mg.key"
refused 1 "not permitted.*not an approver" approve --all --key "$T/node.key"
refused 1 "not permitted" reject "$id" --reason "no" --key "$T/mg.key"
unchanged "$T/snap.1"

# An approver may edit any State's records.
id2=$(propose_id --key "$T/sec2.key" --set MG-01 'office_hours=Lundi-Vendredi')
[ -n "$id2" ] || fail "approver could not propose for MG"
echo "t_authz: OK"
