@echo off
rem llama-orchestrator: the daemon of C:\Users\ann\LLM models as a Windows service, with NSSM (https://nssm.cc).
rem Run it once from an administrator prompt, with nssm.exe on PATH. Undo: nssm remove llama-orch-llm-models confirm
nssm install llama-orch-llm-models "C:\Program Files\nodejs\node.exe" --max-semi-space-size=4 C:\Users\ann\llama-orchestrator\dist\orch.cjs daemon run --autostart --home "C:\Users\ann\LLM models" || exit /b 1
nssm set llama-orch-llm-models DisplayName "llama-orchestrator (llama-orch-llm-models)" || exit /b 1
nssm set llama-orch-llm-models Description "Supervises the llama-server instances of C:\Users\ann\LLM models" || exit /b 1
nssm set llama-orch-llm-models AppDirectory "C:\Users\ann\LLM models" || exit /b 1
nssm set llama-orch-llm-models Start SERVICE_AUTO_START || exit /b 1
nssm set llama-orch-llm-models AppExit Default Restart || exit /b 1
nssm set llama-orch-llm-models AppExit 78 Exit || exit /b 1
nssm set llama-orch-llm-models AppRestartDelay 5000 || exit /b 1
nssm set llama-orch-llm-models AppKillProcessTree 0 || exit /b 1
nssm set llama-orch-llm-models AppStdout "C:\Users\ann\LLM models\journal\daemon.log" || exit /b 1
nssm set llama-orch-llm-models AppStderr "C:\Users\ann\LLM models\journal\daemon.log" || exit /b 1
nssm set llama-orch-llm-models AppEnvironmentExtra NO_COLOR=1 || exit /b 1
nssm start llama-orch-llm-models
