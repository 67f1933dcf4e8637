#!/bin/bash
# Minimal single-node Ceph (mon + memstore OSD + radosgw) on loopback, auth none: a real S3 server
# for the tests (tests/support/s3.py). A copy of the shared ceph-s3-up.sh, with the ports as
# parameters (CEPH_MON_PORT, default 6789; RGW_PORT, default 7480), Nagle off in radosgw, and
# the OSD placed in the CRUSH map by the script instead of by itself (see the config).
# Stop it by the pids of ceph-mon, ceph-osd and radosgw in DIR/run/*.pid.
# prereq: apt-get install -y --no-install-recommends ceph-mon ceph-osd radosgw
set -euo pipefail
MON_PORT=${CEPH_MON_PORT:-6789}; RGW_PORT=${RGW_PORT:-7480}
D=${1:?usage: ceph-s3-up.sh DIR  (an empty or absent scratch folder for the cluster)}
if [ -e "$D" ] && [ -n "$(ls -A "$D")" ]; then echo "ceph-s3-up.sh: $D is not empty" >&2; exit 2; fi
D=$(realpath -m "$D"); mkdir -p "$D"/{run,log,mon.a,osd.0,rgw}; FSID=$(uuidgen); cd "$D"
cat > ceph.conf <<EOF
[global]
fsid = $FSID
mon host = v1:127.0.0.1:$MON_PORT
mon initial members = a
public network = 127.0.0.0/8
auth cluster required = none
auth service required = none
auth client required = none
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
mon allow pool size one = true
osd objectstore = memstore
memstore device bytes = 2147483648
osd crush chooseleaf type = 0
# The OSD does not place itself in the CRUSH map when it starts (the script does, below):
# under CPU load its start-up command could reach the monitor before it knew the cluster's
# fsid, and the monitor refused it ("wrong fsid"), ending the OSD.
osd crush update on start = false
osd class update on start = false
run dir = $D/run
admin socket = $D/run/\$name.asok
pid file = $D/run/\$name.pid
log file = $D/log/\$name.log
ms bind ipv6 = false
[mon.a]
mon data = $D/mon.a
[osd.0]
osd data = $D/osd.0
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT tcp_nodelay=1
rgw data = $D/rgw
EOF
C="-c $D/ceph.conf"
ceph-authtool --create-keyring mon.keyring --gen-key -n mon. --cap mon 'allow *' >/dev/null
monmaptool --create --add a v1:127.0.0.1:$MON_PORT --fsid "$FSID" monmap >/dev/null
ceph-mon $C -i a --mkfs --monmap monmap --keyring mon.keyring
ceph-mon $C -i a
ID=$(timeout 30 ceph $C osd create)
timeout 30 ceph $C osd crush add "osd.$ID" 1.0 root=default host=localhost >/dev/null 2>&1
ceph-osd $C -i "$ID" --mkfs 2>/dev/null
ceph-osd $C -i "$ID" 2>/dev/null
radosgw $C -n client.rgw.a
for i in $(seq 60); do curl -sf -o /dev/null http://127.0.0.1:$RGW_PORT/ && break; sleep 1; done
timeout 60 radosgw-admin $C user create --uid=test --display-name=test --access-key=testak --secret=testsk >/dev/null
echo "radosgw up on http://127.0.0.1:$RGW_PORT (access key testak / secret testsk)"
