/**
 * Dummy data for development and benchmarks: users, their bucketlists and items, written with
 * large multi-row INSERTs in one transaction. The folded search columns are computed here as the
 * repositories compute them; item_count is left to the database triggers, as on every write path.
 */
import { randomBytes } from 'node:crypto';
import type { Database } from './client.js';
import { foldCase, foldNullable } from './folding.js';
import { bucketlists, items, users } from './schema.js';

export interface SeedSizes {
  users: number;
  /** Bucketlists per user. */
  bucketlists: number;
  /** Items per bucketlist. */
  items: number;
}

export interface SeedOptions {
  /** The password hash every seeded user shares (hash once: argon2 is deliberately slow). */
  passwordHash: string;
  /** Seed of the content generator, for reproducible names; random by default. */
  randomSeed?: number;
}

export interface SeedProgress {
  phase: 'users' | 'bucketlists' | 'items';
  /** Rows written so far, of all three tables. */
  done: number;
  total: number;
}

export interface SeedSummary {
  users: number;
  bucketlists: number;
  items: number;
  /** The email of the first seeded user, to log in with. */
  firstEmail: string;
}

// Rows per INSERT: well under PostgreSQL's limit of 65,535 parameters (7 per item row), and large
// enough that larger batches are no faster.
const ITEM_BATCH = 2_000;
const BUCKETLIST_BATCH = 2_000;
const USER_BATCH = 100;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Row counts a seed of these sizes writes. */
export function plannedRows(sizes: SeedSizes) {
  const bucketlistRows = sizes.users * sizes.bucketlists;
  const itemRows = bucketlistRows * sizes.items;
  return {
    users: sizes.users,
    bucketlists: bucketlistRows,
    items: itemRows,
    total: sizes.users + bucketlistRows + itemRows,
  };
}

export async function seedDatabase(
  db: Database,
  sizes: SeedSizes,
  options: SeedOptions,
  onProgress: (progress: SeedProgress) => void = () => {},
): Promise<SeedSummary> {
  for (const [name, value] of Object.entries(sizes)) {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer`);
  }
  if (sizes.users < 1) throw new RangeError('users must be at least 1');
  const planned = plannedRows(sizes);
  const content = contentGenerator(options.randomSeed ?? randomBytes(4).readUInt32LE(0));
  // Unique per run, so that seeding the same database twice adds users instead of failing.
  const runTag = randomBytes(3).toString('hex');
  const now = Date.now();
  let done = 0;
  let firstEmail = '';

  await db.transaction(async (tx) => {
    for (let first = 0; first < sizes.users; first += USER_BATCH) {
      const userRows = Array.from({ length: Math.min(USER_BATCH, sizes.users - first) }, (_, offset) => {
        const person = content.person();
        return {
          email: `${person.emailName}.${runTag}${first + offset + 1}@example.com`,
          name: person.name,
          nameFolded: foldCase(person.name),
          passwordHash: options.passwordHash,
          createdAt: new Date(now - content.between(30, 730) * DAY_MS).toISOString(),
        };
      });
      const created = await tx.insert(users).values(userRows).returning({ id: users.id, createdAt: users.createdAt });
      firstEmail ||= userRows[0]?.email ?? '';
      done += created.length;
      onProgress({ phase: 'users', done, total: planned.total });

      const bucketlistRows = created.flatMap((user) =>
        Array.from({ length: sizes.bucketlists }, () => {
          const name = content.bucketlistName();
          const description = content.description();
          const createdAt = content.dateAfter(user.createdAt, now);
          return {
            ownerId: user.id,
            name,
            description,
            nameFolded: foldCase(name),
            descriptionFolded: foldNullable(description),
            createdAt,
            updatedAt: content.dateAfter(createdAt, now),
          };
        }),
      );
      for (let start = 0; start < bucketlistRows.length; start += BUCKETLIST_BATCH) {
        const batch = bucketlistRows.slice(start, start + BUCKETLIST_BATCH);
        const owned = await tx.insert(bucketlists).values(batch).returning({
          id: bucketlists.id,
          ownerId: bucketlists.ownerId,
          createdAt: bucketlists.createdAt,
        });
        done += owned.length;
        onProgress({ phase: 'bucketlists', done, total: planned.total });

        let itemRows: (typeof items.$inferInsert)[] = [];
        const flush = async () => {
          if (itemRows.length === 0) return;
          await tx.insert(items).values(itemRows);
          done += itemRows.length;
          itemRows = [];
          onProgress({ phase: 'items', done, total: planned.total });
        };
        for (const bucketlist of owned) {
          for (let index = 0; index < sizes.items; index++) {
            const name = content.itemName();
            const createdAt = content.dateAfter(bucketlist.createdAt, now);
            itemRows.push({
              bucketlistId: bucketlist.id,
              ownerId: bucketlist.ownerId,
              name,
              nameFolded: foldCase(name),
              done: content.chance(0.35),
              createdAt,
              updatedAt: content.dateAfter(createdAt, now),
            });
            if (itemRows.length >= ITEM_BATCH) await flush();
          }
        }
        await flush();
      }
    }
  });

  return { users: planned.users, bucketlists: planned.bucketlists, items: planned.items, firstEmail };
}

/* Content: plausible names in several languages and scripts, so search and sorting have something to chew on. */

const FIRST_NAMES = [
  'Ada',
  'Amara',
  'Ana',
  'Björn',
  'Chloé',
  'Daniel',
  'Dmitri',
  'Élodie',
  'Emma',
  'Fatima',
  'Hiroshi',
  'Ingrid',
  'Jamal',
  'José',
  'Kwame',
  'Léa',
  'Liam',
  'Mei',
  'Mohammed',
  'Noah',
  'Olivia',
  'Priya',
  'Rafael',
  'Sofía',
  'Søren',
  'Tomás',
  'Yuki',
  'Zoë',
  'Zainab',
  'Ömer',
];
const LAST_NAMES = [
  'Andersson',
  'Brown',
  'Chen',
  'Dubois',
  'Fernández',
  'García',
  'Hansen',
  'Ivanova',
  'Jensen',
  'Kim',
  'Kowalski',
  'Lefèvre',
  'Martin',
  'Müller',
  'Nakamura',
  'Novák',
  "O'Brien",
  'Okafor',
  'Patel',
  'Rossi',
  'Schmidt',
  'Silva',
  'Smith',
  'Tanaka',
  'Nguyễn',
  'Yılmaz',
  'Wang',
  'Zhang',
];
const THEMES = [
  'Travel',
  'Adventures',
  'Food & drink',
  'Learning',
  'Fitness goals',
  'Before I turn 40',
  'Family',
  'Career',
  'Creative projects',
  'Weekend ideas',
  'Nature',
  'Culture',
  'Road trips',
  'Around Europe',
  'Asia',
  'Books to read',
  'Music',
  'Volunteering',
  'Home',
  'Études',
  'Aventuras',
  '日本旅行',
  'Outdoors 🏕️',
  'Summer 🌞',
  'Someday',
];
const THEME_SUFFIXES = ['', '', '', ' 2027', ' 2028', ' with the kids', ' (shared)', ' — long term', ' ✨'];
const DESCRIPTIONS = [
  'Things I want to do while I still can.',
  'Ideas collected over the years; some realistic, some not.',
  'Planned with friends — check the group chat before booking.',
  'Small goals first, big ones later.',
  'Budget: moderate. Flexibility: high.',
  'Cosas que quiero hacer antes de los cuarenta.',
  'Des idées pour les vacances et les week-ends prolongés.',
  'Kleine und große Abenteuer.',
  'いつか必ず行きたい場所。',
  'One per month, no excuses 💪',
];
const ITEMS = [
  'See the Northern Lights in Tromsø',
  'Walk the Camino de Santiago',
  'Eat ramen in 東京',
  'Learn to bake croissants',
  'Dive the Great Barrier Reef',
  'Run a marathon',
  'Visit Machu Picchu',
  'Learn Spanish',
  'Watch the sunrise on Haleakalā',
  'Ride the Trans-Siberian railway',
  'Visit the Alhambra in Granada',
  'Swim in the Blue Lagoon',
  'Go café hopping in Paris ☕',
  'Hike the Großglockner',
  'See the cherry blossoms in Kyoto 🌸',
  'Drink mate in Buenos Aires',
  'Climb Kilimanjaro',
  'Read War and Peace',
  'Learn to play the guitar 🎸',
  'Go skydiving',
  'Visit Petra',
  'Walk on the Great Wall 长城',
  'Sail around the Greek islands',
  'Eat phở in Hà Nội',
  'Go to Oktoberfest in München',
  'See the pyramids of Giza',
  'Sleep in an ice hotel',
  'Take a cooking class in Oaxaca',
  'Fly in a hot-air balloon over Cappadocia',
  'Learn to surf',
  'Visit Reykjavík in winter',
  'Plant a vegetable garden',
  'Write a short story',
  'Volunteer at an animal shelter',
  'Ride a camel in the Sahara',
  'Ski in the Alps',
  'See a show on Broadway',
  'Visit the Taj Mahal',
  'Kayak the fjords of Norway',
  'Learn to juggle',
  'Camp under the stars',
  'Visit ירושלים',
  'Try shakshuka in Tel Aviv',
  'Watch the tango in San Telmo',
  'Learn 한국어',
];
const ITEM_SUFFIXES = ['', '', '', '', ' with friends', ' in spring', ' in autumn', ' again', ' (finally!)', ' 🎉'];

const asciiOf = (text: string) =>
  text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ø/g, 'o')
    .replace(/ı/g, 'i')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');

/** A small deterministic generator (mulberry32) and the content built from it. */
function contentGenerator(seed: number) {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
  const between = (low: number, high: number) => low + random() * (high - low);
  return {
    between,
    chance: (probability: number) => random() < probability,
    person() {
      const first = pick(FIRST_NAMES);
      const last = pick(LAST_NAMES);
      return { name: `${first} ${last}`, emailName: `${asciiOf(first)}.${asciiOf(last)}` };
    },
    bucketlistName: () => `${pick(THEMES)}${pick(THEME_SUFFIXES)}`,
    description: () => (random() < 0.2 ? null : pick(DESCRIPTIONS)),
    itemName: () => `${pick(ITEMS)}${pick(ITEM_SUFFIXES)}`,
    /** A moment (RFC 3339) between `after` (RFC 3339) and `before` (epoch ms), leaning towards `after`. */
    dateAfter(after: string, before: number) {
      const start = Date.parse(after);
      const span = Math.max(0, before - start);
      return new Date(start + Math.floor(random() ** 3 * span)).toISOString();
    },
  };
}
