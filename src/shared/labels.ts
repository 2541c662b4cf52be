/**
 * Label sets of the DCASE 2025/2026 Task 4 (S5) challenge, in official index order
 * (spec s5-task.md §1.1: alphabetical, the one-hot index order of the baselines).
 * 'silence' is the empty-slot label: it is never a class and never written to disk.
 */
export const S5_LABELS = [
  'AlarmClock', 'BicycleBell', 'Blender', 'Buzzer', 'Clapping', 'Cough',
  'CupboardOpenClose', 'Dishes', 'Doorbell', 'FootSteps', 'HairDryer', 'MechanicalFans',
  'MusicalKeyboard', 'Percussion', 'Pour', 'Speech', 'Typing', 'VacuumCleaner',
] as const;

export type S5Label = (typeof S5_LABELS)[number];
export const SILENCE = 'silence' as const;

export const TASKS = ['dcase2025t4', 'dcase2026t4'] as const;
export type Task = (typeof TASKS)[number];

/** Both editions use the same 18 classes (spec-2026 §3: "one of the 18 class names"). */
export const TASK_LABELS: Record<Task, readonly S5Label[]> = {
  dcase2025t4: S5_LABELS,
  dcase2026t4: S5_LABELS,
};

export function isLabel(task: Task, name: string): name is S5Label {
  return (TASK_LABELS[task] as readonly string[]).includes(name);
}

export function labelIndex(task: Task, name: S5Label): number {
  return TASK_LABELS[task].indexOf(name);
}
