"""A small corpus of spoken talks with questions, for calibrating transcript search and citations.

Ten talks on unrelated subjects, each a list of sentences as someone would say them. Each related
question names the talk and the sentence that answers it (asked in other words than the sentence's,
as people ask); unrelated questions are about nothing any talk says. `timed_lines` turns a talk into
caption lines with times (a steady pace, captions cut anywhere, as subtitle tracks are), optionally
with word times as a recogniser gives them.

Used by bench/citations.py (the cut-offs in videos/search.py were calibrated on it).
"""

from __future__ import annotations

from dataclasses import dataclass

from videos.timed_text import TimedLine, Word

SECONDS_PER_WORD = 0.4  # 150 words a minute
PAUSE_SECONDS = 0.6  # after each sentence
WORDS_PER_CAPTION = 7


@dataclass(frozen=True)
class Talk:
    title: str
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class Question:
    text: str
    talk: int  # index in TALKS
    sentence: int  # index in that talk's sentences


TALKS: tuple[Talk, ...] = (
    Talk(
        "Keeping bees",
        (
            "Hi everyone, today I want to show you how I look after the beehives at the bottom of the garden.",
            "A healthy colony in summer can have fifty thousand bees, but only one queen.",
            "The queen lays up to two thousand eggs a day during the busiest weeks of the season.",
            "Before opening a hive I always light the smoker, because smoke keeps the bees calm.",
            "You should wear a veil and gloves, at least until you know how your bees behave.",
            "Worker bees fly up to five kilometres from the hive to collect nectar and pollen.",
            "We harvest honey at the end of August, once most of the cells are capped with wax.",
            "A strong hive gives around twenty kilograms of honey in a good year.",
            "Always leave enough honey for the bees themselves, or they will starve over the winter.",
            "The biggest threat to the colony is the varroa mite, a tiny parasite that weakens the bees.",
            "We treat against varroa in late autumn, when there is no brood in the hive.",
            "If you see the bees clustering outside the entrance in May, they may be about to swarm.",
            "That's all for today, and next time we will build a new frame together.",
        ),
    ),
    Talk(
        "Looking after your car",
        (
            "Welcome back to the garage, this week we are doing the basic checks every driver should know.",
            "Check the tyre pressure once a month, when the tyres are cold, using the numbers inside the door frame.",
            "Under-inflated tyres wear out faster and make the car use more fuel.",
            "The tread should be at least one and a half millimetres deep across the whole tyre.",
            "To check the oil, park on level ground and wait ten minutes after switching off the engine.",
            "Pull out the dipstick, wipe it clean, push it back in and read the level between the two marks.",
            "Most modern engines need an oil change every fifteen thousand kilometres or once a year.",
            "The coolant should be topped up only when the engine is cold, never when it is hot.",
            "If the brake pedal feels soft or spongy, take the car to a mechanic straight away.",
            "Wiper blades usually last about a year before they start leaving streaks on the glass.",
            "A battery older than five years may fail on the first really cold morning of winter.",
            "Keep a warning triangle and a high visibility vest in the boot at all times.",
        ),
    ),
    Talk(
        "Saving for retirement",
        (
            "Let's talk about money, and in particular how to save for the day you stop working.",
            "The most important thing is to start early, because of compound interest.",
            "Money invested at twenty five has forty years to grow, while money invested at fifty has only fifteen.",
            "If your employer matches your pension contributions, always take the full match, it is free money.",
            "A common rule is to save fifteen percent of your income every month.",
            "Index funds are a simple choice, because their fees are low and they spread the risk across many "
            "companies.",
            "Before you invest at all, build an emergency fund that covers three to six months of expenses.",
            "Pay off credit cards first, since their interest is usually higher than any investment return.",
            "As you get closer to retirement, move some money from shares into bonds to reduce the swings.",
            "Do not check your portfolio every day, the ups and downs will only make you nervous.",
            "Review your plan once a year, or whenever your income changes a lot.",
        ),
    ),
    Talk(
        "Training for a marathon",
        (
            "So you have signed up for your first marathon, and you have about four months to get ready.",
            "Most beginner plans have you running four days a week, with rest days in between.",
            "The long run on the weekend is the key session, and it grows by a couple of kilometres each week.",
            "Your longest run should be around thirty two kilometres, about three weeks before the race.",
            "Run most of your kilometres slowly, at a pace where you could still hold a conversation.",
            "Buy proper running shoes from a specialist shop, and replace them every six or seven hundred kilometres.",
            "In the last two weeks you taper, which means running much less so your legs can recover.",
            "The night before the race, eat a big plate of pasta or rice and go to bed early.",
            "During the race, drink a little water at every station, even if you do not feel thirsty.",
            "Energy gels every forty five minutes help you avoid hitting the wall around kilometre thirty.",
            "Start slower than you think you should, the second half is where the race is really decided.",
        ),
    ),
    Talk(
        "Photography basics",
        (
            "In this lesson we look at the three settings that control every photograph you take.",
            "The aperture is the opening in the lens, and a wide aperture gives a blurry background.",
            "That is why portrait photographers love lenses that open to f one point eight.",
            "The shutter speed decides how long the light falls on the sensor.",
            "To freeze a running dog or a football player, use a shutter speed of at least one five hundredth of "
            "a second.",
            "For a sharp picture held in the hand, the shutter should be faster than one over the focal length.",
            "ISO is how sensitive the sensor is, and higher values add grainy noise to the picture.",
            "The best light for landscapes comes in the golden hour, just after sunrise and before sunset.",
            "Use the rule of thirds and place the horizon on one of the lines rather than in the middle.",
            "A tripod lets you photograph waterfalls with a long exposure so the water looks like silk.",
            "Shoot in raw format if you want to correct the colours and the exposure later on your computer.",
        ),
    ),
    Talk(
        "How volcanoes work",
        (
            "Deep under our feet the rock is so hot that some of it melts into magma.",
            "Magma is lighter than the solid rock around it, so it slowly rises towards the surface.",
            "When it reaches the surface we call it lava, and it can be hotter than one thousand degrees.",
            "Some volcanoes, like those in Hawaii, pour out runny lava that flows for kilometres.",
            "Others have thick, sticky magma that traps gas until it explodes violently.",
            "The eruption of Mount Vesuvius in the year seventy nine buried the Roman town of Pompeii under ash.",
            "Volcanic ash can stop air traffic, because it melts inside jet engines.",
            "Scientists watch for small earthquakes and swelling of the ground that warn of an eruption.",
            "They also measure the gases coming out of the crater, especially sulphur dioxide.",
            "Most of the world's active volcanoes sit on the Ring of Fire around the Pacific Ocean.",
            "Over thousands of years, volcanic soil becomes some of the most fertile farmland on earth.",
        ),
    ),
    Talk(
        "Setting up a home office",
        (
            "Since I started working from home, I have changed my desk setup quite a few times.",
            "The top of your screen should be at eye level, or a little below it.",
            "Sit about an arm's length away from the monitor to keep your eyes relaxed.",
            "Your chair should support your lower back, with your feet flat on the floor.",
            "Keep your elbows at roughly ninety degrees when you type on the keyboard.",
            "If you can, put the desk next to a window, but not with the window directly behind the screen.",
            "Every half an hour, stand up, stretch and look at something far away for twenty seconds.",
            "A good headset with a microphone makes a huge difference in video calls.",
            "I use a separate room for work, so that I can close the door in the evening and switch off.",
            "Plants and a little tidying up on Friday afternoon make the space much nicer to come back to.",
        ),
    ),
    Talk(
        "Learning a new language",
        (
            "I have learned three languages as an adult, and I want to share what worked for me.",
            "Fifteen minutes every day beats two hours once a week, because memory needs repetition.",
            "Flashcard apps with spaced repetition show you each word just before you would forget it.",
            "Learn the most common words first, since about a thousand words cover most everyday conversation.",
            "Speak from the very first week, even if you make lots of mistakes.",
            "Find a language partner online, someone who wants to learn your language in exchange.",
            "Watching series with subtitles in the language you are learning trains your ear.",
            "Grammar matters, but do not let it stop you from talking.",
            "Change the language of your phone, so you read it every day without thinking about it.",
            "After about six months of daily practice, most people can hold a simple conversation.",
        ),
    ),
    Talk(
        "Caring for houseplants",
        (
            "More houseplants die from too much water than from too little.",
            "Push your finger into the soil, and only water when the top two centimetres feel dry.",
            "Always use pots with a drainage hole, so the roots never sit in standing water.",
            "Yellow leaves at the bottom of the plant are usually a sign of overwatering.",
            "Brown, crispy leaf tips often mean the air in the room is too dry.",
            "Most tropical plants like bright light, but not direct midday sun, which burns their leaves.",
            "Feed your plants with liquid fertiliser once a month in spring and summer, and not at all in winter.",
            "Repot a plant when the roots start growing out of the bottom of the pot.",
            "A snake plant or a zamioculcas is almost impossible to kill, which makes them perfect for beginners.",
            "Wipe the dust off large leaves with a damp cloth, so the plant can take in more light.",
        ),
    ),
    Talk(
        "Roman aqueducts",
        (
            "The city of Rome at its height had around a million people, and they all needed water.",
            "The Romans built eleven aqueducts to bring fresh water into the city from the hills.",
            "The longest of them, the Aqua Marcia, ran for more than ninety kilometres.",
            "Most of an aqueduct was actually underground, in channels dug into the earth.",
            "The famous arches were only needed where the water had to cross a valley.",
            "The whole system worked by gravity alone, dropping just a few metres over many kilometres.",
            "In the city, the water went first to public fountains, then to baths, and last to private houses.",
            "Rich families paid for a private pipe, often made of lead, straight into their homes.",
            "The Pont du Gard in southern France is one of the best preserved aqueduct bridges.",
            "Some Roman aqueducts were repaired in the Renaissance and still feed fountains in Rome today.",
        ),
    ),
)

QUESTIONS: tuple[Question, ...] = (
    Question("How many queens live in one hive?", 0, 1),
    Question("Why do beekeepers use smoke?", 0, 3),
    Question("When is the honey taken out of the hive?", 0, 6),
    Question("What is the worst danger for a bee colony?", 0, 9),
    Question("How far do bees travel for food?", 0, 5),
    Question("How often should I check my tyres?", 1, 1),
    Question("How do I read the oil dipstick?", 1, 5),
    Question("What does it mean if the brakes feel soft?", 1, 8),
    Question("How long do windscreen wipers last?", 1, 9),
    Question("When is it time to change the engine oil?", 1, 6),
    Question("Should I accept my company's pension matching?", 2, 3),
    Question("What percentage of my salary should I put away?", 2, 4),
    Question("Why are index funds a good choice?", 2, 5),
    Question("How big should my rainy day fund be?", 2, 6),
    Question("What should I do with investments as I approach retirement?", 2, 8),
    Question("What is the longest training run before the race?", 3, 3),
    Question("What does tapering mean?", 3, 6),
    Question("What should I eat the evening before the marathon?", 3, 7),
    Question("When should I take energy gels?", 3, 9),
    Question("How often should running shoes be replaced?", 3, 5),
    Question("How do I get a blurred background in portraits?", 4, 1),
    Question("Which shutter speed freezes fast motion?", 4, 4),
    Question("Why are my photos grainy?", 4, 6),
    Question("What is the best time of day for landscape pictures?", 4, 7),
    Question("How do you make water look silky?", 4, 9),
    Question("Why does magma rise?", 5, 1),
    Question("Which town was destroyed by Vesuvius?", 5, 5),
    Question("Why do planes stay on the ground when there is volcanic ash?", 5, 6),
    Question("How do scientists predict an eruption?", 5, 7),
    Question("Where are most active volcanoes?", 5, 9),
    Question("How high should my monitor be?", 6, 1),
    Question("How far from the screen should I sit?", 6, 2),
    Question("How often should I take a break from the desk?", 6, 6),
    Question("Where should I put my desk in relation to the window?", 6, 5),
    Question("How much time per day should I study?", 7, 1),
    Question("Which words should I learn first?", 7, 3),
    Question("How long until I can have a basic conversation?", 7, 9),
    Question("How can TV shows help me learn?", 7, 6),
    Question("How do I know when to water my plants?", 8, 1),
    Question("Why are the lower leaves turning yellow?", 8, 3),
    Question("What causes brown leaf tips?", 8, 4),
    Question("Which plant is hardest to kill?", 8, 8),
    Question("When should I move a plant to a bigger pot?", 8, 7),
    Question("How many aqueducts supplied Rome?", 9, 1),
    Question("What was the longest aqueduct?", 9, 2),
    Question("Why did aqueducts need arches?", 9, 4),
    Question("What powered the Roman water system?", 9, 5),
    Question("Where can you see a well preserved aqueduct bridge?", 9, 8),
)

# Questions about nothing the talks say (a few near their subjects: the hardest to tell apart).
UNRELATED: tuple[str, ...] = (
    "Who won the football world cup in 1998?",
    "How do I reset my wifi router password?",
    "What is the capital of Australia?",
    "How do vaccines train the immune system?",
    "How can I get a red wine stain out of a carpet?",
    "How do I knit a scarf?",
    "Explain quantum entanglement simply.",
    "What time does the pharmacy close on Sundays?",
    "How do I apply for a divorce?",
    "Give me a recipe for chicken curry.",
    "How many moons does Saturn have?",
    "When was the printing press invented?",
    "How do I change a baby's nappy?",
    "What does a blockchain actually do?",
    "What is a good chess opening for beginners?",
    "How do I tune a guitar?",
    "What are the symptoms of the flu?",
    "How do I write a cover letter?",
    "How fast does light travel?",
    "Which dog breed is best for a small flat?",
    "How do I install Python on Windows?",
    "How do tides work?",
    "Which wine goes well with fish?",
    "What happens in the plot of Hamlet?",
    "How do I unblock a kitchen sink?",
    "What is the population of Brazil?",
    "jazz",
    "cricket rules",
    "How do I fold a fitted sheet?",
    "What is the best way to learn to swim as an adult?",
)


def timed_lines(talk: Talk, *, offset: float = 0.0, words: bool = False) -> tuple[list[TimedLine], list[float]]:
    """The talk said at a steady pace from `offset` seconds, cut into captions of WORDS_PER_CAPTION
    words regardless of sentences; with `words`, each line carries its words' times as a recogniser
    gives them. Also returns each sentence's start time."""
    lines: list[TimedLine] = []
    starts: list[float] = []
    clock = offset
    pending: list[Word] = []

    def flush() -> None:
        if pending:
            text = " ".join(word.text for word in pending)
            lines.append(TimedLine(pending[0].start, pending[-1].end, text, tuple(pending) if words else ()))
            pending.clear()

    for sentence in talk.sentences:
        starts.append(clock)
        for spelled in sentence.split():
            pending.append(Word(clock, clock + SECONDS_PER_WORD - 0.05, spelled))
            clock += SECONDS_PER_WORD
            if len(pending) == WORDS_PER_CAPTION:
                flush()
        clock += PAUSE_SECONDS
    flush()
    return lines, starts
