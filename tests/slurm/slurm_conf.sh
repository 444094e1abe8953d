# Sourced by the test clusters (test_cluster.sh, multi_node_cluster.sh): the slurm.conf settings
# they share.
#   slurm_conf_common DIR BASE_PORT → prints them: daemons as root on ports BASE_PORT and +1, munge,
#   no cgroups (proctrack/linuxproc, task/none), cores as the unit, no accounting, and slurmctld's
#   state, PID and log in DIR
slurm_conf_common() {
  local dir=$1 base=$2
  cat <<CONF
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$base
SlurmdPort=$((base + 1))
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
StateSaveLocation=$dir/state
SlurmctldPidFile=$dir/slurmctld.pid
SlurmctldLogFile=$dir/slurmctld.log
CONF
}
