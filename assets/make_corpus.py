"""Generate Tofy's small casual-conversation training corpus.

Tofy trains small JEPA-style text encoders to predict the embedding of a masked word.
For that to be learnable, a word has to show up in consistent, predictable contexts:
"so how have you _ lately?" should point at "been", "what did you have for _ today?" at
a meal, "i'm flying to _ next month" at a city, and so on.

This script writes such a corpus from hand-written templates and slot word lists that were
composed for this project (no third-party text). It uses only the standard library and a
fixed seed, so running it twice produces a byte-identical file.

Each output line is ``context<TAB>response``: a casual question or remark and a reply.
Only the left side is used for training, but both sides are meant to read naturally. Every
context occurs once: Tofy drops repeated phrases anyway, and a repeat would only make the
file look bigger than it is.

Usage::

    python assets/make_corpus.py                  # writes assets/corpus.txt
    python assets/make_corpus.py --lines 3000 --output /tmp/corpus.txt
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path

SEED = 20240611
DEFAULT_LINES = 6000
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "corpus.txt"
MIN_TOKENS = 4
MAX_TOKENS = 25
MIN_LINES = 4000
MIN_CONTEXT_WORDS = 1200
MAX_ATTEMPTS_PER_LINE = 60

TOKEN_RE = re.compile(r"[a-z0-9']+")
# Tofy's own tokenizer rule: two contexts with the same tokens are the same training phrase
PHRASE_TOKEN_RE = re.compile(r"(?:[^\W_]|['’])+|\S")
SLOT_RE = re.compile(r"\{([a-z]+)(?:_([a-z]+))?(\d?)\}")

# --------------------------------------------------------------------------------------------
# Slot word lists. Entries are comma separated; extra word forms are separated by "|".
# --------------------------------------------------------------------------------------------

NAMES = """
alex, sam, jordan, taylor, casey, morgan, riley, jamie, avery, quinn, emma, olivia, ava, sophia,
mia, isabella, charlotte, amelia, harper, evelyn, abigail, emily, ella, grace, chloe, lily, zoe,
nora, hannah, layla, aria, leah, ruby, stella, hazel, violet, aurora, lucy, anna, sarah, maya,
elena, clara, julia, rosa, nina, tara, priya, anika, mei, yuki, aisha, fatima, leila, ines, sofia,
lucia, marta, ingrid, freya, astrid, greta, heidi, paula, carmen, diana, rachel, megan, laura,
kate, jenny, molly, holly, rebecca, natalie, vanessa, monica, erin, tessa, wendy, dana, gina,
irene, joy, june, liam, noah, oliver, elijah, james, william, benjamin, lucas, henry, theo, jack,
levi, mateo, leo, ethan, daniel, michael, owen, samuel, sebastian, david, joseph, carter, wyatt,
john, luke, dylan, isaac, gabriel, anthony, caleb, ryan, nathan, aaron, adrian, miles, eli, colin,
connor, kevin, brian, jason, eric, mark, paul, peter, simon, victor, oscar, felix, hugo, max, ben,
tom, nick, chris, matt, dan, steve, greg, tony, frank, ray, carlos, diego, pablo, javier, marco,
luca, giovanni, pierre, hans, sven, lars, omar, ali, hassan, raj, arjun, vikram, kenji, hiro, jin,
wei, chen, tariq, kofi, kwame, tunde, andre, jamal, malik, derek, trevor, wes, kyle, shane, cody,
blake, reid, grant, spencer, marcus, dominic, vincent, rupert, ezra, jonah, silas, jude, rowan,
finn, arthur, louis, ivan, nikolai, yusuf, amir, tomas, emil, otto, bruno, rafael, enzo, kai,
beatrice, camila, daisy, esther, fiona, gemma, iris, jasmine, keira, lena, mabel, naomi, phoebe
"""

CITIES = """
paris, london, berlin, rome, madrid, lisbon, dublin, amsterdam, brussels, vienna, prague,
budapest, warsaw, athens, istanbul, oslo, stockholm, copenhagen, helsinki, reykjavik, edinburgh,
glasgow, manchester, liverpool, barcelona, seville, valencia, milan, naples, venice, florence,
munich, hamburg, zurich, geneva, lyon, marseille, porto, krakow, tokyo, osaka, kyoto, seoul,
busan, beijing, shanghai, hong kong, taipei, singapore, bangkok, hanoi, manila, jakarta,
kuala lumpur, mumbai, delhi, bangalore, karachi, dubai, doha, cairo, marrakech, casablanca,
nairobi, lagos, accra, cape town, johannesburg, sydney, melbourne, brisbane, perth, auckland,
wellington, new york, boston, chicago, seattle, portland, denver, austin, dallas, houston, miami,
atlanta, nashville, phoenix, las vegas, san diego, san francisco, los angeles, philadelphia,
detroit, minneapolis, new orleans, salt lake city, anchorage, honolulu, toronto, vancouver,
montreal, calgary, ottawa, mexico city, guadalajara, cancun, havana, bogota, lima, quito,
buenos aires, montevideo, rio, sao paulo, panama city, san juan, kingston, tulsa, omaha, boise,
pittsburgh, cleveland, baltimore, richmond, savannah, charleston, memphis, albuquerque,
sacramento, tampa, orlando, belfast, bristol, leeds, bordeaux, seattle
"""

COUNTRIES = """
france, spain, italy, germany, portugal, ireland, scotland, iceland, norway, sweden, finland,
denmark, greece, turkey, egypt, morocco, kenya, ghana, nigeria, south africa, japan, korea,
china, taiwan, vietnam, thailand, cambodia, laos, indonesia, malaysia, the philippines, india,
nepal, sri lanka, australia, new zealand, canada, mexico, brazil, argentina, chile, peru,
colombia, ecuador, cuba, jamaica, costa rica, croatia, austria, switzerland, belgium,
the netherlands, poland, hungary, romania, bulgaria, estonia, mongolia, tanzania, fiji, uruguay,
bolivia, slovenia, montenegro, albania, latvia, lithuania, tunisia, senegal, namibia
"""

FOODS = """
pizza, pasta, sushi, ramen, tacos, burritos, curry, pho, dumplings, pancakes, waffles, burgers,
fries, salad, soup, stew, chili, lasagna, spaghetti, risotto, paella, falafel, hummus, kebabs,
noodles, fried rice, fried chicken, roast chicken, steak, salmon, tuna, shrimp, lobster, crab,
oysters, mussels, calamari, bagels, croissants, muffins, donuts, cookies, brownies, cupcakes,
cheesecake, ice cream, gelato, chocolate, popcorn, nachos, quesadillas, enchiladas, tamales,
empanadas, pierogi, gnocchi, ravioli, mac and cheese, grilled cheese, sandwiches, wraps,
hot dogs, pretzels, toast, oatmeal, granola, yogurt, scrambled eggs, omelets, bacon, sausages,
meatballs, pork chops, ribs, brisket, pulled pork, lamb, tofu, tempeh, lentils, chickpeas,
black beans, rice and beans, couscous, quinoa, polenta, biryani, samosas, naan, pad thai,
green curry, spring rolls, bibimbap, kimchi, bulgogi, teriyaki, tempura, udon, miso soup,
onigiri, gyoza, dim sum, bao buns, hot pot, mapo tofu, banh mi, laksa, satay, rendang, shawarma,
gyros, souvlaki, moussaka, baklava, churros, flan, tiramisu, cannoli, crepes, quiche,
ratatouille, fondue, schnitzel, bratwurst, goulash, borscht, fish and chips, shepherd's pie,
scones, poutine, cornbread, jambalaya, gumbo, clam chowder, lobster rolls, mashed potatoes,
baked potatoes, sweet potatoes, roasted vegetables, stir fry, fruit salad, strawberries,
blueberries, mangoes, peaches, watermelon, grapes, cherries, avocado toast, peanut butter,
garlic bread, tomato soup, carrot cake, apple pie, pumpkin pie, banana bread, lemon bars
"""

DRINKS = """
coffee, tea, iced coffee, green tea, chai, hot chocolate, lemonade, orange juice, apple juice,
sparkling water, soda, root beer, ginger ale, kombucha, beer, wine, cider, espresso, matcha,
bubble tea, iced tea, cold brew, mint tea, coconut water, hot cider, eggnog, sangria, herbal tea,
horchata, milk tea, chamomile tea, fruit punch, red wine, white wine, black coffee,
cranberry juice, grape juice, jasmine tea, earl grey, decaf, mulled wine, iced matcha
"""

MEALS = "breakfast, lunch, dinner, brunch, dessert, a late snack, a midnight snack"

PLACES = """
park, gym, library, mall, beach, lake, museum, zoo, cafe, coffee shop, bakery, diner, bar, pub,
cinema, theater, stadium, bookstore, grocery store, farmers market, pharmacy, post office, bank,
train station, bus stop, airport, hospital, office, campus, community center, pool, ice rink,
bowling alley, arcade, aquarium, garden center, hardware store, pizza place, taco truck,
food court, laundromat, barber shop, hair salon, hotel, campground, trailhead, marina, pier,
boardwalk, town square, night market, art gallery, concert hall, record store, thrift store,
flea market, playground, dog park, skate park, golf course, ski lodge, noodle bar, juice bar,
climbing gym, yoga studio, botanical garden, science center, waterfront, river walk
"""

JOBS = """
teacher, nurse, doctor, engineer, lawyer, chef, baker, barista, cashier, accountant, architect,
designer, developer, programmer, mechanic, electrician, plumber, carpenter, painter,
photographer, journalist, writer, editor, librarian, pharmacist, dentist, vet, firefighter,
police officer, pilot, flight attendant, bus driver, truck driver, farmer, gardener, florist,
hairdresser, tailor, waiter, bartender, manager, receptionist, scientist, researcher, professor,
tutor, translator, musician, actor, dancer, coach, personal trainer, therapist, social worker,
paramedic, surgeon, optometrist, real estate agent, consultant, analyst, data scientist,
product manager, sales rep, graphic designer, web developer, game designer, animator, lifeguard,
park ranger, zookeeper, dog walker, delivery driver, mail carrier, security guard,
sound engineer, nanny, caterer, midwife, welder, locksmith, surveyor, economist
"""

COMPANIES = """
startup, bank, hospital, school, law firm, restaurant, bakery, tech company, hotel, museum,
library, newspaper, radio station, warehouse, factory, bookstore, garage, clinic, call center,
nonprofit, university, gym, airline, insurance company, design studio, construction company,
ad agency, pet store, vet clinic, coffee roastery, bike shop, flower shop, brewery, shipping firm,
video game studio, marketing firm, solar company, furniture store, dental office, charity
"""

FAMILY = """
mom, dad, sister, brother, grandma, grandpa, aunt, uncle, cousin, niece, nephew, wife, husband,
partner, girlfriend, boyfriend, son, daughter, roommate, best friend, stepmom, stepdad,
mother in law, father in law, little brother, little sister, big brother, big sister
"""

PETS = """
dog, cat, puppy, kitten, hamster, rabbit, parrot, goldfish, turtle, guinea pig, lizard, snake,
ferret, budgie, gecko, hedgehog, chinchilla, tortoise, iguana, cockatiel, bearded dragon,
hermit crab, rescue dog, border collie, golden retriever, beagle, poodle, dachshund, corgi,
tabby cat, pug, husky, labrador, greyhound, chihuahua
"""

ANIMALS = """
lion, tiger, elephant, giraffe, zebra, monkey, gorilla, panda, koala, kangaroo, penguin, seal,
otter, dolphin, whale, shark, octopus|octopuses, flamingo, peacock, owl, eagle, hawk, bear,
wolf|wolves, fox|foxes, deer|deer, moose|moose, raccoon, squirrel, beaver, hippo, rhino, camel,
llama, alpaca, sloth, lemur, crocodile, alligator, bat, frog, duck, goose|geese, swan, pig,
cow, horse, goat, sheep|sheep, chicken, donkey, butterfly|butterflies, bee, jellyfish|jellyfish,
seahorse, starfish|starfish, hummingbird, crow, pelican, walrus|walruses, orangutan, cheetah,
leopard, bison|bison, puffin, toucan, meerkat, armadillo, porcupine
"""

SPORTS = """
soccer, basketball, baseball, football, tennis, volleyball, hockey, golf, rugby, cricket,
badminton, table tennis, squash, lacrosse, softball, handball, water polo, ultimate frisbee,
pickleball, darts, kickball, dodgeball, disc golf, racquetball, bocce, croquet, netball,
field hockey, beach volleyball, paddle tennis
"""

INSTRUMENTS = """
guitar, piano, drums, violin, cello, bass, ukulele, flute, clarinet, saxophone, trumpet,
trombone, harmonica, banjo, mandolin, harp, accordion, oboe, bagpipes, tuba, viola, xylophone,
synthesizer, french horn, bongos
"""

GENRES = """
jazz, rock, pop, hip hop, country, folk, blues, classical, reggae, metal, punk, indie, soul,
funk, disco, techno, house music, salsa, bluegrass, gospel, grunge, ska, opera, electronic,
ambient, lofi, afrobeat, bossa nova, synth pop, emo, trance, dubstep, swing, motown
"""

MOVIE_GENRES = """
horror, comedy, action, romance, science fiction, drama, thriller, mystery, fantasy, western,
musical, documentary, animated, superhero, war, crime, spy, disaster, monster, heist, zombie,
martial arts, space, pirate, time travel
"""

BOOK_GENRES = """
mystery, fantasy, romance, history, poetry, biography, thriller, self help, science fiction,
horror, memoir, travel, philosophy, cooking, true crime, detective, short story, nature
"""

GAMES = """
chess, checkers, monopoly, scrabble, poker, uno, trivia, charades, mahjong, backgammon,
dominoes, bingo, sudoku, crosswords, jenga, pictionary, go fish, solitaire, bridge, cribbage,
twister, battleship, blackjack, rummy, hangman, mini golf, laser tag, air hockey, foosball,
ping pong
"""

CLOTHING = """
jacket, sweater, hoodie, coat, scarf, hat, beanie, shirt, dress, skirt, vest, cardigan,
raincoat, blazer, suit, backpack, watch|watches, bracelet, necklace, parka, swimsuit,
windbreaker, flannel, tie, belt, tank top, jumpsuit, poncho, bathrobe, tracksuit, apron,
sweatshirt, turtleneck, blouse, polo shirt, kimono, denim jacket, wool coat, baseball cap,
bucket hat
"""

COLORS = """
red, blue, green, yellow, orange, purple, pink, black, white, gray, brown, beige, navy, teal,
turquoise, maroon, olive, lavender, lilac, mint green, coral, peach, cream, ivory, gold, silver,
mustard, burgundy, charcoal, crimson, indigo, magenta, tan, khaki, sage, rust, emerald
"""

SMALL_NUMBERS = "two, three, four, five, six, seven, eight, nine, ten, eleven, twelve"

PRICES = """
five, ten, twelve, fifteen, eighteen, twenty, twenty five, thirty, forty, fifty, sixty, seventy,
eighty, ninety, a hundred, two hundred
"""

WEEKDAYS = "monday, tuesday, wednesday, thursday, friday, saturday, sunday"

MONTHS = """
january, february, march, april, may, june, july, august, september, october, november, december
"""

SEASONS = "spring, summer, fall, winter, autumn"

HOLIDAYS = """
christmas, thanksgiving, easter, new year's, halloween, the fourth of july, hanukkah, diwali,
eid, passover, lunar new year, valentine's day, labor day, memorial day, spring break,
the long weekend, your birthday, mother's day, father's day, the holidays, winter break
"""

ROOMS = """
kitchen, living room, bedroom, bathroom, garage, basement, attic, hallway, closet, laundry room,
dining room, porch, backyard, car, guest room, pantry, balcony, study, front yard, shed
"""

OBJECTS = """
keys, phone, wallet, charger, laptop, headphones, earbuds, glasses, sunglasses, umbrella,
notebook, pen, pencil, book, remote, water bottle, mug, thermos, lunch bag, purse, tote bag,
camera, tablet, calculator, stapler, scissors, flashlight, candle, blanket, pillow, towel,
toothbrush, hairbrush, comb, razor, mirror, passport, ticket, receipt, library card, bike lock,
helmet, skateboard, yoga mat, dumbbells, tennis racket, soccer ball, frisbee, guitar pick,
sheet music, cookbook, frying pan, spatula, cutting board, kettle, toaster, blender,
coffee maker, teapot, vase, houseplant, watering can, shovel, rake, hammer, screwdriver, wrench,
drill, ladder, toolbox, extension cord, batteries, light bulb, alarm clock, planner, calendar,
sketchbook, paintbrush, crayons, markers, jigsaw puzzle, board game, deck of cards, dice,
controller, usb stick, hard drive, sticky notes, envelope, stamps, gift card, coupon,
grocery list, shopping bag, dog leash, cat toy, fishing rod, tent, sleeping bag, cooler,
picnic basket, sunscreen, bug spray, lip balm, hand cream, perfume, makeup bag
"""

BODY_PARTS = """
back, neck, knee, shoulder, ankle, wrist, elbow, hip, foot, head, stomach, throat, tooth, jaw,
ear, eye, hand, finger, toe, leg, arm, lower back, hamstring, calf, thumb
"""

ILLNESSES = """
cold, cough, sore throat, fever, headache, migraine, sinus infection, stomach bug, ear infection,
sunburn, toothache, rash, stiff neck, chest cold, head cold, runny nose, stuffy nose, earache,
backache, stomachache, bad cough, chest infection, eye infection, blister
"""

SUBJECTS = """
math, history, biology, chemistry, physics, english, spanish, french, german, art, music theory,
economics, psychology, sociology, philosophy, geography, computer science, statistics, calculus,
algebra, geometry, literature, political science, anthropology, astronomy, geology, nursing,
engineering, accounting, marketing, law, medicine, architecture, linguistics, japanese, chinese,
italian, latin, drama, photography, design, nutrition, ecology, robotics
"""

VEHICLES = """
car, bike, truck, van, scooter, motorcycle, electric bike, minivan, jeep, convertible, pickup,
hatchback, camper, moped, kayak, boat, canoe, sedan, station wagon, golf cart
"""

PARTIES = """
barbecue, potluck, game night, movie night, birthday party, housewarming, dinner party, picnic,
pool party, karaoke night, bonfire, trivia night, costume party, baby shower, bake sale,
yard sale, book club, wine tasting, cookout, pizza party, surprise party, graduation party,
brunch party, taco night, board game night, fondue night, dance party, garden party
"""

GREETINGS = """
hey, hi, hello, oh hey, well hey, good morning, good evening, hiya, howdy, hey there, yo,
morning, evening, oh hi
"""

TIMEFRAMES = """
lately, recently, these days, this week, this month, this year, this past week,
this past month, since the holidays, since we last talked, since you moved, since graduation,
since the wedding, since your trip, since last summer, since the move, since the new job,
over the summer, over the winter, the last few weeks, since spring, since your birthday
"""

TODAY = "today, this morning, this afternoon, this evening, tonight, so far today"

LATER = """
later, tonight, tomorrow, this weekend, after work, after class, on friday, on saturday,
next week, for lunch, for dinner, this summer, over the break, for your birthday,
tomorrow night, on sunday morning, after the game, this long weekend
"""

# Moods split by tone so that replies like "oh no" only follow the gloomy ones.
LOW_FEELINGS = """
tired, stressed, anxious, bored, lonely, exhausted, sleepy, grumpy, nervous, overwhelmed,
restless, homesick, frustrated, sick, sore, hungry, distracted, burnt out, annoyed, sad, down,
lazy, worried, cranky, jittery, gloomy, drained, moody, sluggish, confused, embarrassed, scared,
antsy, groggy, stuck, overworked, achy, run down, cooped up, scatterbrained
"""

GOOD_FEELINGS = """
happy, excited, relaxed, cheerful, calm, motivated, hopeful, confident, content, energetic,
inspired, refreshed, proud, grateful, great, fine, okay, productive, peaceful, giddy, mellow,
optimistic, rested, upbeat, chill, relieved, thrilled, nostalgic, curious, focused
"""

ADJECTIVES = """
amazing, awesome, boring, weird, funny, scary, beautiful, terrible, fantastic, cozy, loud, quiet,
crowded, empty, expensive, cheap, delicious, gross, spicy, sweet, salty, bland, fresh, huge,
tiny, fancy, simple, messy, clean, strange, wonderful, lovely, awful, incredible, impressive,
disappointing, exciting, relaxing, stressful, intense, chaotic, peaceful, charming, gorgeous,
ugly, creepy, cute, adorable, silly, clever, brilliant, confusing, predictable, surprising,
hilarious, touching, dull, slow, long, short, overrated, underrated, perfect, decent, mediocre,
solid, wild, epic, legendary, tense, heartwarming, cheesy, corny, dark, bright, colorful, modern,
classic, retro, trendy, popular, famous, unusual, unique, ordinary, fun, nice, great, cool,
neat, rough, sturdy, shiny, dusty, noisy, lively, pricey, affordable, spacious, cramped, tasty,
quirky, elegant, rustic, sleek, grand
"""

TASTES = """
sweet, bitter, sour, bland, strong, weak, watery, salty, spicy, smoky, fizzy, flat, creamy,
thick, burnt, tangy, sugary, earthy, fruity, minty, lukewarm, funky, chalky, syrupy, stale
"""

CROWDS = """
crowded, empty, busy, quiet, packed, loud, dead, lively, chaotic, calm, hectic, slow, peaceful,
noisy, full, deserted, rowdy, sleepy
"""

WEATHER = """
sunny, rainy, cloudy, windy, foggy, snowy, humid, chilly, freezing, hot, warm, cold, stormy,
muggy, breezy, drizzly, icy, damp, gray, clear, mild, crisp, sweltering, overcast, frosty, hazy,
misty, scorching, dry, gloomy
"""

CHORES = """
do the dishes, do the laundry, vacuum the carpet, mop the floor, take out the trash,
clean the bathroom, fold the laundry, water the plants, mow the lawn, rake the leaves,
feed the cat, walk the dog, make the bed, wipe the counters, clean the fridge, dust the shelves,
scrub the oven, change the sheets, sweep the porch, wash the car, empty the dishwasher,
unload the groceries, clean the windows, shovel the driveway, organize the closet,
pay the bills, fix the sink, iron my shirts, clean out the garage, pull the weeds
"""

# Verb phrases as base|ing|past. They are used as "want to X", "been X-ing", "i X-ed".
VERBS = """
cook|cooking|cooked, bake|baking|baked, read|reading|read, run|running|ran,
swim|swimming|swam, paint|painting|painted, draw|drawing|drew, write|writing|wrote,
garden|gardening|gardened, knit|knitting|knitted, sew|sewing|sewed, dance|dancing|danced,
sing|singing|sang, go hiking|going hiking|went hiking, go camping|going camping|went camping,
go fishing|going fishing|went fishing, go surfing|going surfing|went surfing,
go skiing|going skiing|went skiing, go bowling|going bowling|went bowling,
go shopping|going shopping|went shopping, go climbing|going climbing|went climbing,
go skating|going skating|went skating, go kayaking|going kayaking|went kayaking,
go sailing|going sailing|went sailing, go birdwatching|going birdwatching|went birdwatching,
go snowboarding|going snowboarding|went snowboarding, go dancing|going dancing|went dancing,
play guitar|playing guitar|played guitar, play piano|playing piano|played piano,
play chess|playing chess|played chess, play video games|playing video games|played video games,
play tennis|playing tennis|played tennis, play soccer|playing soccer|played soccer,
play basketball|playing basketball|played basketball, play golf|playing golf|played golf,
play cards|playing cards|played cards, do yoga|doing yoga|did yoga,
do pilates|doing pilates|did pilates, meditate|meditating|meditated,
study|studying|studied, work out|working out|worked out, jog|jogging|jogged,
ride my bike|riding my bike|rode my bike, volunteer|volunteering|volunteered,
travel|traveling|traveled, sleep in|sleeping in|slept in, clean|cleaning|cleaned,
watch movies|watching movies|watched movies, binge shows|binging shows|binged shows,
take photos|taking photos|took photos, learn spanish|learning spanish|learned spanish,
learn french|learning french|learned french, learn to code|learning to code|learned to code,
journal|journaling|journaled, do puzzles|doing puzzles|did puzzles,
build lego|building lego|built lego, fix up my car|fixing up my car|fixed up my car,
visit my parents|visiting my parents|visited my parents,
call my grandma|calling my grandma|called my grandma, bake bread|baking bread|baked bread,
make pottery|making pottery|made pottery, brew beer|brewing beer|brewed beer,
grill|grilling|grilled, stretch|stretching|stretched, lift weights|lifting weights|lifted weights,
box|boxing|boxed, row|rowing|rowed, skateboard|skateboarding|skateboarded,
play drums|playing drums|played drums, write poetry|writing poetry|wrote poetry,
edit videos|editing videos|edited videos, sketch|sketching|sketched,
practice the violin|practicing the violin|practiced the violin,
walk along the river|walking along the river|walked along the river,
train for a marathon|training for a marathon|trained for a marathon,
plant tomatoes|planting tomatoes|planted tomatoes, play board games|playing board games|played
board games, go to concerts|going to concerts|went to concerts,
go to the movies|going to the movies|went to the movies, host dinners|hosting dinners|hosted
dinners, make music|making music|made music, record podcasts|recording podcasts|recorded
podcasts, try new recipes|trying new recipes|tried new recipes, nap|napping|napped,
explore the city|exploring the city|explored the city, code|coding|coded,
crochet|crocheting|crocheted, whittle|whittling|whittled, juggle|juggling|juggled,
surf the web|surfing the web|surfed the web, babysit|babysitting|babysat,
tutor kids|tutoring kids|tutored kids, fly kites|flying kites|flew kites,
go for long walks|going for long walks|went for long walks,
go to the gym|going to the gym|went to the gym, play the ukulele|playing the ukulele|played the
ukulele, restore furniture|restoring furniture|restored furniture,
build a shed|building a shed|built a shed, repaint the fence|repainting the fence|repainted the
fence, go to karaoke|going to karaoke|went to karaoke, watch the stars|watching the stars|watched
the stars, collect vinyl|collecting vinyl|collected vinyl, solve riddles|solving riddles|solved
riddles
"""

# Field names for slots whose entries have several forms.
FIELDS: dict[str, tuple[str, ...]] = {"verb": ("base", "ing", "past")}


def parse_list(text: str) -> list[tuple[str, ...]]:
    """Split a comma-separated slot list into entries; each entry's forms are split on '|'."""
    entries: list[tuple[str, ...]] = []
    seen: set[str] = set()
    for raw in " ".join(text.split()).split(","):
        forms = tuple(" ".join(part.split()) for part in raw.split("|"))
        if forms[0] and forms[0] not in seen:
            seen.add(forms[0])
            entries.append(forms)
    return entries


def plural(word: str) -> str:
    """Regular English plural of the last word in a phrase."""
    if word.endswith(("s", "x", "ch", "sh", "z")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def with_article(phrase: str) -> str:
    """Prefix 'a' or 'an' using a simple first-letter rule with a few exceptions."""
    if phrase.startswith(("uni", "use", "eu", "one")):
        return "a " + phrase
    if phrase.startswith(("hour", "honest")) or phrase[0] in "aeiou":
        return "an " + phrase
    return "a " + phrase


def build_slots() -> dict[str, list[tuple[str, ...]]]:
    """Map each slot name used in templates to its list of entries."""
    hours = [("one",), *parse_list(SMALL_NUMBERS)]
    clock = [(h[0],) for h in hours] + [(h[0] + " thirty",) for h in hours]
    clock += [("noon",), ("midnight",)]
    slots: dict[str, list[tuple[str, ...]]] = {
        "name": parse_list(NAMES),
        "city": parse_list(CITIES),
        "country": parse_list(COUNTRIES),
        "food": parse_list(FOODS),
        "drink": parse_list(DRINKS),
        "meal": parse_list(MEALS),
        "place": parse_list(PLACES),
        "job": parse_list(JOBS),
        "company": parse_list(COMPANIES),
        "family": parse_list(FAMILY),
        "pet": parse_list(PETS),
        "animal": parse_list(ANIMALS),
        "sport": parse_list(SPORTS),
        "instrument": parse_list(INSTRUMENTS),
        "genre": parse_list(GENRES),
        "movie": parse_list(MOVIE_GENRES),
        "book": parse_list(BOOK_GENRES),
        "game": parse_list(GAMES),
        "clothing": parse_list(CLOTHING),
        "color": parse_list(COLORS),
        "num": parse_list(SMALL_NUMBERS),
        "price": parse_list(PRICES),
        "weekday": parse_list(WEEKDAYS),
        "month": parse_list(MONTHS),
        "season": parse_list(SEASONS),
        "holiday": parse_list(HOLIDAYS),
        "room": parse_list(ROOMS),
        "object": parse_list(OBJECTS),
        "body": parse_list(BODY_PARTS),
        "illness": parse_list(ILLNESSES),
        "subject": parse_list(SUBJECTS),
        "vehicle": parse_list(VEHICLES),
        "party": parse_list(PARTIES),
        "greeting": parse_list(GREETINGS),
        "timeframe": parse_list(TIMEFRAMES),
        "today": parse_list(TODAY),
        "later": parse_list(LATER),
        "low": parse_list(LOW_FEELINGS),
        "feeling": parse_list(LOW_FEELINGS + "," + GOOD_FEELINGS),
        "adj": parse_list(ADJECTIVES),
        "taste": parse_list(TASTES),
        "crowd": parse_list(CROWDS),
        "weather": parse_list(WEATHER),
        "chore": parse_list(CHORES),
        "verb": parse_list(VERBS),
        "clock": clock,
    }
    for name, entries in slots.items():
        max_forms = len(FIELDS[name]) if name in FIELDS else 2
        min_forms = len(FIELDS[name]) if name in FIELDS else 1
        bad = [e for e in entries if not min_forms <= len(e) <= max_forms]
        if bad:
            raise ValueError(f"slot {name!r} has malformed entries: {bad[:3]}")
    return slots


# --------------------------------------------------------------------------------------------
# Templates. Placeholders look like {slot}, {slot_field} or {slot2}; the same placeholder gets
# the same value on both sides of a line, and numbered copies of a slot get distinct values.
# Fields: _a (with a/an), _pl (plural), and the verb forms _ing / _past.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    """A context pattern, the replies that fit it, and how often to pick it."""

    context: str
    responses: tuple[str, ...]
    weight: int = 1


def t(context: str, *responses: str, weight: int = 1) -> Template:
    """Shorthand constructor used by the template table below."""
    return Template(context, responses, weight)


TEMPLATES: tuple[Template, ...] = (
    # --- "how have you been" and friends: the core predictable contexts --------------------
    t(
        "so how have you been {timeframe}?",
        "pretty good, been busy with work mostly.",
        "not bad at all, been {verb_ing} a lot.",
        "honestly a bit {low}, but getting by.",
        "good, thanks for asking, how about you?",
        weight=3,
    ),
    t(
        "{greeting} {name}, how have you been {timeframe}?",
        "oh hey, i've been good, just really busy.",
        "not too bad, been {verb_ing} every {weekday}.",
        "a little {low} to be honest, but okay.",
        "great, i just got back from {city}.",
        weight=4,
    ),
    t(
        "{greeting}! so how have you been {timeframe}?",
        "pretty good, i've been {verb_ing} a lot more.",
        "busy as always, but i can't complain.",
        "kind of {low}, work has been a lot.",
        weight=3,
    ),
    t(
        "{name}! long time no see, how have you been?",
        "i know, it's been forever! i've been good.",
        "good, i moved to {city} for a while.",
        "pretty {low}, but happy to see you.",
        weight=2,
    ),
    t(
        "how have you been feeling {timeframe}?",
        "a lot better, thanks for checking in.",
        "honestly pretty {feeling} most days.",
        "up and down, but mostly {feeling}.",
        weight=2,
    ),
    t(
        "how have you been sleeping {timeframe}?",
        "not great, i keep waking up at {clock}.",
        "much better since i stopped drinking {drink} at night.",
        "pretty well, i go to bed around {clock} now.",
    ),
    t(
        "so what have you been doing {timeframe}?",
        "mostly {verb_ing} and {verb_ing2}.",
        "working a lot, and {verb_ing} on weekends.",
        "not much, just {verb_ing} when i can.",
        weight=3,
    ),
    t(
        "what have you been up to {timeframe}, {name}?",
        "oh, mostly {verb_ing}, it's been fun.",
        "just work and {verb_ing}, nothing exciting.",
        "i started {verb_ing} with my {family}.",
        weight=2,
    ),
    t(
        "have you been {verb_ing} much {timeframe}?",
        "yeah, i {verb_past} twice last week.",
        "not really, i've been too {low} for it.",
        "a little, mostly on {weekday}s.",
        weight=2,
    ),
    t(
        "how are you doing {today}, {name}?",
        "i'm doing okay, a bit {low} though.",
        "pretty good, thanks for asking.",
        "i'm doing great, just had some {food}.",
        weight=2,
    ),
    t(
        "how are you feeling {today}?",
        "i'm feeling a little {feeling}, honestly.",
        "much better than yesterday, thanks.",
        "pretty {low}, i need more {drink}.",
        weight=2,
    ),
    t(
        "i'm feeling kind of {low} {today}.",
        "oh no, anything i can do to help?",
        "same here, maybe we should get some {drink}.",
        "want to talk about it over {meal}?",
    ),
    t(
        "i've been feeling a little {low} {timeframe}.",
        "oh no, do you want to talk about it?",
        "that's rough, have you tried {verb_ing}?",
        "i get that, it's been a long {season}.",
    ),
    t(
        "what are you doing {later}?",
        "probably just {verb_ing} at home.",
        "i'm meeting {name} at the {place}.",
        "nothing yet, do you want to {verb}?",
        weight=2,
    ),
    t(
        "are you doing anything fun {later}?",
        "i might {verb} with {name}.",
        "not really, just {verb_ing} and relaxing.",
        "yeah, we're going to the {place}.",
    ),
    t(
        "how's {name} doing these days?",
        "good, they just started working as {job_a}.",
        "doing well, they moved to {city} last {month}.",
        "busy, they've been {verb_ing} nonstop.",
        weight=2,
    ),
    # --- plans and weekends ----------------------------------------------------------------
    t(
        "what are you doing this weekend?",
        "i'm going to {verb} with my {family}.",
        "probably {verb_ing}, and maybe {verb_ing2}.",
        "no plans yet, want to get {food}?",
    ),
    t(
        "do you want to {verb} this {weekday}?",
        "sure, what time works for you?",
        "i'd love to, but i'm {verb_ing} that day.",
        "yes! let's meet at the {place} at {clock}.",
        weight=2,
    ),
    t(
        "i was thinking we could {verb} on {weekday}.",
        "that sounds perfect, count me in.",
        "good idea, should we invite {name}?",
        "i can't on {weekday}, how about the weekend?",
        weight=2,
    ),
    t(
        "it's been ages since we {verb_past} together.",
        "i know, we should {verb} again soon.",
        "right? the last time was in {month}.",
        "let's do it this {weekday}, i'm free.",
    ),
    t(
        "last {weekday} i {verb_past} for {num} hours.",
        "wow, you must have been so tired.",
        "that's a lot, were you {feeling} after?",
        "nice, i {verb_past} too but only for an hour.",
    ),
    t(
        "i've been trying to {verb} more often.",
        "good for you, how is it going?",
        "same, i want to {verb2} more too.",
        "that's great, maybe we can do it together.",
    ),
    t(
        "{name} told me you started {verb_ing}.",
        "yeah, i'm still pretty bad at it though.",
        "i did! i go every {weekday} now.",
        "word travels fast, but yes, it's fun.",
    ),
    t(
        "we're having {party_a} on {weekday} at my place.",
        "sounds fun, what should i bring?",
        "i'll be there, can i bring {name}?",
        "oh nice, what time does it start?",
    ),
    t(
        "can i bring some {food} to the {party}?",
        "yes please, everyone loves {food}.",
        "sure, someone is already bringing {food2} though.",
        "of course, just bring whatever you like.",
    ),
    t(
        "any plans for {holiday} this year?",
        "we're visiting my {family} in {city}.",
        "just staying home and eating {food}.",
        "maybe a quick trip to {country}.",
    ),
    t(
        "what are your plans for the {season}?",
        "i want to {verb} as much as possible.",
        "work, mostly, and a trip to {city}.",
        "nothing big, maybe some {verb_ing}.",
    ),
    t(
        "what did you do over the {season} break?",
        "i mostly {verb_past} and visited {city}.",
        "not much, i {verb_past} a few times.",
        "i went to see my {family} in {country}.",
    ),
    t(
        "i'm meeting {name} at the {place} at {clock}.",
        "cool, tell {name} i said hi.",
        "nice, can i come along?",
        "have fun, the {place} is so {crowd} lately.",
    ),
    t(
        "do you want to meet at the {place} or the {place2}?",
        "the {place} is closer for me.",
        "let's do the {place2}, it's less crowded.",
        "either works, you pick.",
    ),
    t(
        "have you talked to {name} {timeframe}?",
        "not really, they've been busy {verb_ing}.",
        "yeah, we had {meal} on {weekday}.",
        "no, i should call them this week.",
    ),
    t(
        "what time do you usually wake up on {weekday}s?",
        "around {clock}, unless i'm {verb_ing}.",
        "way too early, like {clock}.",
        "whenever i feel like it, honestly.",
    ),
    # --- food and drink ----------------------------------------------------------------------
    t(
        "what did you have for {meal} today?",
        "just some {food} and {drink}.",
        "i had {food} at the {place}.",
        "nothing yet, i'm starving.",
        weight=2,
    ),
    t(
        "do you like {food}?",
        "i love it, especially with {food2}.",
        "not really, i prefer {food2}.",
        "yeah, my {family} makes the best {food}.",
        weight=2,
    ),
    t(
        "i'm craving {food} right now.",
        "me too, let's get some for {meal}.",
        "there's a great place for that near the {place}.",
        "honestly same, or maybe {food2}.",
    ),
    t(
        "want to grab some {drink} after work?",
        "sure, the usual place by the {place}?",
        "i can't today, how about {weekday}?",
        "yes, i really need some {drink}.",
        weight=2,
    ),
    t(
        "my {family} makes the best {food}.",
        "lucky you, can i come over for {meal}?",
        "i'd love to try it sometime.",
        "what's the secret, more butter?",
    ),
    t(
        "can you pick up some {food} on your way home?",
        "sure, anything else we need?",
        "yeah, and i'll grab some {drink} too.",
        "the store might be closed, but i'll try.",
    ),
    t(
        "should we get {food} or {food2} tonight?",
        "{food}, definitely, i had {food2} yesterday.",
        "let's do {food2} for a change.",
        "i don't mind, you choose.",
        weight=2,
    ),
    t(
        "i tried making {food} for the first time.",
        "how did it turn out?",
        "nice, was it hard to make?",
        "you have to make it for me sometime.",
    ),
    t(
        "i ordered {drink} but it tastes kind of {taste}.",
        "really? i think it's pretty good.",
        "want to swap? mine is {drink2}.",
        "yeah, they made it different this time.",
    ),
    # --- places, travel, weather ------------------------------------------------------------
    t(
        "have you ever been to {city}?",
        "yes, i went there in {month} with my {family}.",
        "no, but i really want to go.",
        "once, for work, and i loved the {food}.",
        weight=2,
    ),
    t(
        "i'm flying to {city} next {month}.",
        "nice, what are you going to do there?",
        "lucky! bring me back some {food}.",
        "for work or for fun?",
        weight=2,
    ),
    t(
        "is it true that you're moving to {city}?",
        "yeah, i got a job there as {job_a}.",
        "maybe, we're still deciding.",
        "yes, my {family} lives there already.",
    ),
    t(
        "how was your trip to {country}?",
        "amazing, the {food} there was so good.",
        "a bit {adj}, but i'm glad i went.",
        "we {verb_past} almost every day.",
        weight=2,
    ),
    t(
        "we should {verb} in {country} someday.",
        "yes, let's plan it for next {season}.",
        "i'm in, as long as we eat lots of {food}.",
        "that would be a dream trip.",
    ),
    t(
        "how long does it take to drive to {city}?",
        "about {num} hours if traffic is okay.",
        "it depends, usually around {num} hours.",
        "too long, i'd rather take the train.",
    ),
    t(
        "how's the weather in {city} today?",
        "it's pretty {weather} right now.",
        "really {weather}, i'm staying inside.",
        "nice and {weather}, perfect for {verb_ing}.",
        weight=2,
    ),
    t(
        "it's so {weather} outside today, isn't it?",
        "yeah, i almost didn't leave the house.",
        "i know, perfect day for {verb_ing}.",
        "it's supposed to be {weather2} tomorrow.",
        weight=2,
    ),
    t(
        "i can't believe it's already {month}.",
        "i know, this year is going by so fast.",
        "right? it feels like it was just {month2}.",
        "time flies when you're busy.",
    ),
    t(
        "the {place} was so {crowd} today.",
        "really? i was thinking of going later.",
        "it always is on {weekday}s.",
        "that's why i went to the {place2} instead.",
    ),
    t(
        "i heard the {place} near {city} is closing.",
        "no way, i loved that place.",
        "that's sad, where will we go now?",
        "really? it was always so {crowd}.",
    ),
    t(
        "do you know a good {place} near here?",
        "there's one right by the {place2}.",
        "try the one on the corner, it's {adj}.",
        "not really, i usually go to the one in {city}.",
    ),
    # --- family, friends, pets -------------------------------------------------------------
    t(
        "how's your {family} doing?",
        "they're doing well, thanks for asking.",
        "good, they just got back from {city}.",
        "a bit {low}, but they'll be fine.",
        weight=2,
    ),
    t(
        "is your {family} still living in {city}?",
        "yes, they love it there.",
        "no, they moved to {city2} last year.",
        "for now, but they want to move closer.",
    ),
    t(
        "my {family} just started working as {job_a}.",
        "that's great, do they like it?",
        "congrats to them, that's a big change.",
        "nice, my {family2} used to do that too.",
    ),
    t(
        "how's your {pet} doing?",
        "great, getting really big now.",
        "kind of {low}, we're taking it to the vet.",
        "very spoiled, as always.",
        weight=2,
    ),
    t(
        "i just adopted {pet_a} named {name}.",
        "aww, you have to send me pictures.",
        "that's such a cute name.",
        "congrats, how is {name} settling in?",
        weight=2,
    ),
    t(
        "we saw so many {animal_pl} at the zoo.",
        "oh fun, did you see the {animal_pl2} too?",
        "i love the {animal_pl}, they're fun to watch.",
        "that sounds like a great day.",
    ),
    t(
        "what's your favorite animal, {name}?",
        "probably {animal_pl}, they're so smart.",
        "i've always liked {animal_pl}.",
        "hard to say, maybe {animal_pl} or {animal_pl2}.",
    ),
    t(
        "is {name} still working as {job_a}?",
        "yes, and they really like it.",
        "no, they switched jobs last {month}.",
        "i think so, but they want to become {job_a2}.",
    ),
    t(
        "{name} is visiting from {city} this weekend.",
        "oh nice, you should take them to the {place}.",
        "fun, are you going to {verb}?",
        "tell {name} i said hi.",
    ),
    # --- work and school ---------------------------------------------------------------------
    t(
        "what do you do for work these days, {name}?",
        "i'm working as {job_a} at {company_a}.",
        "still {job_a}, same as before.",
        "i just switched jobs, i'm {job_a} now.",
        weight=2,
    ),
    t(
        "how's work going at the {company}?",
        "busy, but i can't complain.",
        "pretty hectic, we have a new manager.",
        "honestly it's making me {low}.",
        weight=2,
    ),
    t(
        "i have a job interview at {company_a} on {weekday}.",
        "good luck, you'll do great.",
        "nice, what's the position?",
        "exciting, are you {feeling} about it?",
    ),
    t(
        "did you finish your {subject} homework?",
        "almost, i just have one more question.",
        "not yet, it's so long.",
        "yeah, can you check my answers?",
    ),
    t(
        "how's your {subject} class going?",
        "pretty good, the teacher is {adj}.",
        "kind of hard, we have a test on {weekday}.",
        "i like it more than {subject2}.",
        weight=2,
    ),
    t(
        "what are you studying this {season}?",
        "mostly {subject} and {subject2}.",
        "just {subject}, it takes all my time.",
        "i'm taking a break from school.",
    ),
    # --- hobbies, music, movies, sports, games ---------------------------------------------
    t(
        "what kind of music are you into {timeframe}?",
        "mostly {genre}, and some {genre2}.",
        "a lot of {genre}, my {family} got me into it.",
        "honestly anything except {genre}.",
        weight=2,
    ),
    t(
        "have you been listening to any good {genre} {timeframe}?",
        "yeah, i'll send you a playlist.",
        "not really, i've been into {genre2}.",
        "a little, mostly while {verb_ing}.",
    ),
    t(
        "i've been learning to play the {instrument}.",
        "that's awesome, how long have you been practicing?",
        "cool, can you play anything yet?",
        "nice, i always wanted to learn the {instrument2}.",
        weight=2,
    ),
    t(
        "did you see that new {movie} movie?",
        "yeah, it was kind of {adj}.",
        "not yet, is it any good?",
        "i saw it with {name}, we loved it.",
        weight=2,
    ),
    t(
        "that {movie} movie was so {adj}, right?",
        "totally, i want to see it again.",
        "really? i thought it was {adj2}.",
        "i fell asleep halfway through.",
    ),
    t(
        "are you still reading that {book} book?",
        "yes, i'm almost done with it.",
        "no, i gave up, it was too {adj}.",
        "i finished it, you can borrow it.",
    ),
    t(
        "did you watch the {sport} game last night?",
        "yeah, what {adj_a} game!",
        "no, i missed it, who won?",
        "only the end, i was {verb_ing}.",
        weight=2,
    ),
    t(
        "do you still play {sport} on {weekday}s?",
        "yes, every week with {name}.",
        "not anymore, my {body} hurts too much.",
        "sometimes, when the weather is {weather}.",
        weight=2,
    ),
    t(
        "do you want to play {game} tonight?",
        "sure, but i always lose at {game}.",
        "i'd rather play {game2}.",
        "yes, let's invite {name} too.",
        weight=2,
    ),
    t(
        "i got really into {verb_ing} this {season}.",
        "that's cool, how did you get started?",
        "nice, i tried it once with my {family}.",
        "we should {verb} together sometime.",
    ),
    # --- home, things, health ----------------------------------------------------------------
    t(
        "have you seen my {object} anywhere?",
        "did you check the {room}?",
        "no, when did you last have it?",
        "i think {name} borrowed it.",
        weight=2,
    ),
    t(
        "i left my {object} in the {room} again.",
        "want me to go get it?",
        "you always do that.",
        "i'll grab it on my way out.",
    ),
    t(
        "i still need to {chore} before dinner.",
        "want me to help you {chore2}?",
        "i can do it, you already did a lot.",
        "okay, dinner will be ready at {clock}.",
        weight=2,
    ),
    t(
        "whose turn is it to {chore} tonight?",
        "pretty sure it's yours.",
        "mine, i'll do it after {meal}.",
        "i did it yesterday, so not me.",
        weight=2,
    ),
    t(
        "what color should i paint my {room}?",
        "maybe a light {color}?",
        "{color} would look really nice.",
        "anything but {color2}, please.",
    ),
    t(
        "i bought a new {clothing} at the {place}.",
        "nice, what color is it?",
        "show me, i bet it looks great.",
        "how much was it?",
    ),
    t(
        "i love your {clothing}, is it new?",
        "thanks, i got it for only {price} dollars.",
        "yes, my {family} gave it to me.",
        "no, i've had it for years.",
        weight=2,
    ),
    t(
        "how much did you pay for that {clothing}?",
        "about {price} dollars, it was on sale.",
        "{price} dollars, but it was worth it.",
        "i don't remember, it was a gift.",
    ),
    t(
        "my {body} has been hurting since {weekday}.",
        "oh no, did you hurt it {verb_ing}?",
        "you should get that checked out.",
        "try some rest and ice tonight.",
    ),
    t(
        "are you over your {illness} yet?",
        "almost, i'm feeling a lot better.",
        "not really, i'm still so {low}.",
        "yes, finally, thanks for asking.",
    ),
    t(
        "i think i'm getting {illness_a}.",
        "oh no, drink lots of {drink}.",
        "you should stay home and rest.",
        "go to bed early tonight.",
    ),
    t(
        "how's your new {vehicle} running?",
        "great, it's so much better than the old one.",
        "pretty well, it's really {adj}.",
        "it's been in the shop since {weekday}.",
    ),
    t(
        "i took the {vehicle} to the {place} this morning.",
        "how was the traffic?",
        "oh nice, did you find parking?",
        "i need to borrow it on {weekday}.",
    ),
    t(
        "my phone died while i was {verb_ing}.",
        "that always happens at the worst time.",
        "you need a better charger.",
        "i wondered why you didn't answer.",
    ),
    t(
        "i was so {feeling} when {name} called me.",
        "why, what did they say?",
        "that makes sense, it's been a while.",
        "i would have been {feeling2} too.",
    ),
    t(
        "why do you look so {feeling} {today}?",
        "i didn't sleep well last night.",
        "long story, i'll tell you over {drink}.",
        "do i? i'm just {feeling2}, i guess.",
    ),
)


def pick_values(
    template: Template, response: str, slots: dict[str, list[tuple[str, ...]]], rng: random.Random
) -> dict[tuple[str, str], tuple[str, ...]]:
    """Choose one entry per (slot, index) mentioned on either side; indices stay distinct."""
    keys: list[tuple[str, str]] = []
    for text in (template.context, response):
        for slot, _field, index in SLOT_RE.findall(text):
            if (slot, index) not in keys:
                keys.append((slot, index))
    chosen: dict[tuple[str, str], tuple[str, ...]] = {}
    for slot, index in keys:
        used = {v for (s, _), v in chosen.items() if s == slot}
        entries = slots[slot]
        value = rng.choice(entries)
        while value in used and len(used) < len(entries):
            value = rng.choice(entries)
        chosen[(slot, index)] = value
    return chosen


def render(text: str, values: dict[tuple[str, str], tuple[str, ...]]) -> str:
    """Substitute placeholders in ``text`` with the chosen slot entries."""

    def replace(match: re.Match[str]) -> str:
        slot, field, index = match.groups()
        entry = values[(slot, index)]
        if field in (None, "", "base"):
            return entry[0]
        if field == "a":
            return with_article(entry[0])
        if field == "pl":
            return entry[1] if len(entry) > 1 else plural(entry[0])
        return entry[FIELDS[slot].index(field)]

    return SLOT_RE.sub(replace, text)


def tokens(text: str) -> list[str]:
    """Lowercased word tokens: runs of letters, digits and apostrophes."""
    return TOKEN_RE.findall(text.lower())


def make_line(
    template: Template, slots: dict[str, list[tuple[str, ...]]], rng: random.Random
) -> tuple[str, str]:
    """Render one (context, response) pair from a template."""
    response = rng.choice(template.responses)
    values = pick_values(template, response, slots, rng)
    context = " ".join(render(template.context, values).split())
    return context, " ".join(render(response, values).split())


def phrase_key(text: str) -> tuple[str, ...]:
    """A context as Tofy sees it: its lowercased tokens, punctuation included."""
    return tuple(PHRASE_TOKEN_RE.findall(text.lower()))


def length_ok(text: str) -> bool:
    """True when ``text`` has between MIN_TOKENS and MAX_TOKENS tokens."""
    return MIN_TOKENS <= len(tokens(text)) <= MAX_TOKENS


def generate(n_lines: int, seed: int = SEED) -> list[str]:
    """Generate up to ``n_lines`` shuffled ``context<TAB>response`` lines, no two with the
    same context (compared as Tofy compares phrases: lowercased tokens)."""
    rng = random.Random(seed)
    slots = build_slots()
    weights = [tpl.weight for tpl in TEMPLATES]
    lines: list[str] = []
    seen: set[tuple[str, ...]] = set()
    attempts = 0
    while len(lines) < n_lines and attempts < n_lines * MAX_ATTEMPTS_PER_LINE:
        attempts += 1
        template = rng.choices(TEMPLATES, weights=weights)[0]
        context, response = make_line(template, slots, rng)
        key = phrase_key(context)
        if key in seen:
            continue
        if not (length_ok(context) and length_ok(response)):
            continue
        seen.add(key)
        lines.append(f"{context}\t{response}")
    rng.shuffle(lines)
    return lines


def slot_vocabulary() -> set[str]:
    """All distinct word tokens that appear in the slot lists."""
    vocab: set[str] = set()
    for entries in build_slots().values():
        for entry in entries:
            for form in entry:
                vocab.update(tokens(form))
    return vocab


def corpus_stats(lines: list[str]) -> dict[str, int]:
    """Counts used to check the corpus is big and varied enough."""
    left_vocab: set[str] = set()
    all_vocab: set[str] = set()
    lengths: list[int] = []
    for line in lines:
        context, response = line.split("\t")
        left = tokens(context)
        left_vocab.update(left)
        all_vocab.update(left)
        all_vocab.update(tokens(response))
        lengths.append(len(left))
    return {
        "lines": len(lines),
        "distinct_lines": len(set(lines)),
        "distinct_contexts": len({phrase_key(line.split("\t")[0]) for line in lines}),
        "templates": len(TEMPLATES),
        "slot_words": len(slot_vocabulary()),
        "context_words": len(left_vocab),
        "all_words": len(all_vocab),
        "min_context_tokens": min(lengths, default=0),
        "max_context_tokens": max(lengths, default=0),
    }


def check_stats(stats: dict[str, int], requested: int) -> list[str]:
    """Return human-readable problems with the generated corpus (empty when fine)."""
    problems: list[str] = []
    if stats["distinct_lines"] != stats["lines"]:
        problems.append("duplicate lines present")
    if stats["distinct_contexts"] != stats["lines"]:
        problems.append("a context occurs more than once")
    if requested >= MIN_LINES and stats["lines"] < MIN_LINES:
        problems.append(f"only {stats['lines']} lines (< {MIN_LINES})")
    if requested >= MIN_LINES and stats["context_words"] < MIN_CONTEXT_WORDS:
        problems.append(f"only {stats['context_words']} context words (< {MIN_CONTEXT_WORDS})")
    if stats["lines"] and stats["min_context_tokens"] < MIN_TOKENS:
        problems.append("a context is shorter than MIN_TOKENS")
    if stats["max_context_tokens"] > MAX_TOKENS:
        problems.append("a context is longer than MAX_TOKENS")
    return problems


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        description="Write Tofy's deterministic casual-conversation corpus (context<TAB>response)."
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help=f"where to write the corpus (default: {DEFAULT_OUTPUT.name} next to this script)",
    )
    parser.add_argument(
        "--lines",
        type=int,
        default=DEFAULT_LINES,
        help=f"number of distinct lines to generate (default: {DEFAULT_LINES})",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Generate the corpus, write it, print its statistics; non-zero exit on failed checks."""
    args = parse_args(argv)
    if args.lines < 1:
        print("--lines must be positive", file=sys.stderr)
        return 2
    lines = generate(args.lines)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")
    stats = corpus_stats(lines)
    for key, value in stats.items():
        print(f"{key}: {value}")
    print(f"bytes: {args.output.stat().st_size}")
    problems = check_stats(stats, args.lines)
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
