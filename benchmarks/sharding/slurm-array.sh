#!/usr/bin/env bash
# Grade a large class on a Slurm cluster: an array job grades one part per task (--shard K/N),
# then a dependent job merges the parts into one gradebook, summary, similarity report and exports,
# the same as grading the class in one go.
#
#   sbatch --array=1-16 benchmarks/sharding/slurm-array.sh /shared/submissions /shared/graded
#   (it submits the merge itself, to run when every part has finished)
#
# Each task needs the autograder installed (`pip install` into a venv on shared storage) and
# `unshare` for namespaces where the cluster allows them; it grades with all its CPUs.
#SBATCH --job-name=chatlab-grade
#SBATCH --cpus-per-task=4
#SBATCH --mem=4G
#SBATCH --time=02:00:00
#SBATCH --output=chatlab-%A_%a.log
set -euo pipefail
SUBMISSIONS="${1:?the class folder}"
OUT="${2:?where the parts and the class go}"
PYTHON="${CHATLAB_PYTHON:-python3}"
PARTS="${SLURM_ARRAY_TASK_COUNT:?run with sbatch --array=1-N}"
PART="${SLURM_ARRAY_TASK_ID}"
"$PYTHON" -m autograder "$SUBMISSIONS" --batch --shard "$PART/$PARTS" --jobs "${SLURM_CPUS_PER_TASK:-2}" \
    --out "$OUT/part-$PART" --lang en
if [ "$PART" = "${SLURM_ARRAY_TASK_MIN:-1}" ]; then
    sbatch --dependency="afterany:${SLURM_ARRAY_JOB_ID}" --job-name=chatlab-merge --output=chatlab-merge-%j.log \
        --wrap="\"$PYTHON\" -m autograder merge \"$OUT\"/part-* --out \"$OUT/class\" --lang en"
fi
