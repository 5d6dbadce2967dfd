# What the demo and the studies share: a teacher (one run), then the student alone, KD, DKD and
# LDRLD over three seeds; one table with each distilled row minus the student alone and LDRLD minus
# KD and minus DKD, paired by seed; Figure 5 on the KD and LDRLD students of every seed (the first
# two panels drawn); LDRLD's training curves. A study sets name, title, data, metrics and its rows.
seeds = [0, 1, 2]
size = 'demo'
priority = 0
history = None
tables = [
    dict(
        rows=['teacher', 'student', 'kd', 'dkd', 'ldrld'],
        paired=[('kd', 'student'), ('dkd', 'student'), ('ldrld', 'student'), ('ldrld', 'kd'), ('ldrld', 'dkd')],
    )
]
pictures = dict(corr=dict(teacher='teacher', students=['kd', 'ldrld'], args=['--panels', '2']), curves='ldrld')
