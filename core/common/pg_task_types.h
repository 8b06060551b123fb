/* pg_task_types: the task types, in one list that pagodad's validators
 * (cluster/cluster_task_validate.c) and the agent's executors
 * (agent/agent_exec.c) both expand, so that neither can know a type the
 * other does not. X(name, validator, executor): each side uses its column. */
#ifndef PG_TASK_TYPES_H
#define PG_TASK_TYPES_H

#define PG_TASK_TYPES(X)                                                                           \
	X(ApplyConfigFiles, v_apply_config_files, agent_exec_files)                                \
	X(SystemdInstallUnit, v_systemd_install_unit, agent_exec_unit_install)                     \
	X(SystemdControl, v_systemd_control, agent_exec_unit_control)                              \
	X(RenderAndDeployNginx, v_nginx, agent_exec_nginx)                                         \
	X(DeployCertificate, v_certificate, agent_exec_certificate)                                \
	X(HealthProbe, v_health_probe, agent_exec_probe)                                           \
	X(RunCommand, v_run_command, agent_exec_run)                                               \
	X(UpgradeAgent, v_upgrade_agent, agent_exec_upgrade)                                       \
	X(FetchArtifact, v_fetch_artifact, agent_exec_artifact)                                    \
	X(InspectUnit, v_inspect_unit, agent_exec_inspect)

#endif
