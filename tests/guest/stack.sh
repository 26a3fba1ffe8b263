# Workload of scripts/stack (busybox sh; one boot on fresh in-memory secure
# storage, the TA built with the stack-probe feature): the QEMU suite's
# phases one after another (their checks that need a reboot in between
# fail here: their lines are counted, not judged), then mfs-e2e --stack,
# whose exit code is the workload's.
for p in 1 2 3; do
    echo "MFS-STACK-PHASE $p"
    sh /usr/share/mfs/tests/phase$p.sh
done
echo "MFS-STACK-PHASE e2e-stack"
mfs-e2e --stack
