"""SQLAlchemy's side of pgkit-compare's ORM cases: runs one case, prints {"seconds": ...} as JSON.

Usage: /usr/bin/python3 sqlalchemy_cases.py <case> <count>, the conninfo as the first line of stdin
(never on the command line). The models and the repository are the seed's (part 5): declarative User
and Post with a relationship both ways, lazy loading as the seed writes it, and BaseRepository's
create (add, commit, refresh) and get (query(...).filter(id == ...).first()).
Cases: orm_insert, orm_get, orm_load_related (lazy: the seed's walk of user.posts) and
orm_load_related_selectin (the same with selectinload).
"""
import json
import sys
import time
from datetime import datetime

import psycopg2
import sqlalchemy
from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, create_engine
from sqlalchemy.orm import declarative_base, relationship, selectinload, sessionmaker

Base = declarative_base()

FIXTURE_USERS = 1000  # bench_orm_users 1..1000, 10 posts each (bench/compare/fixtures.cpp)
POSTS_PER_USER = 10


class User(Base):
    __tablename__ = "bench_orm_users"
    id = Column(Integer, primary_key=True, index=True)
    username = Column(String(50), unique=True, nullable=False)
    email = Column(String(100), unique=True, nullable=False)
    created_at = Column(DateTime, default=datetime.utcnow)
    posts = relationship("Post", back_populates="author")


class Post(Base):
    __tablename__ = "bench_orm_posts"
    id = Column(Integer, primary_key=True, index=True)
    title = Column(String(200), nullable=False)
    content = Column(String)
    author_id = Column(Integer, ForeignKey("bench_orm_users.id"))
    created_at = Column(DateTime, default=datetime.utcnow)
    author = relationship("User", back_populates="posts")


class BaseRepository:
    """The seed's generic repository (create and get are what the cases use)."""

    def __init__(self, model, db):
        self.model = model
        self.db = db

    def create(self, **kwargs):
        instance = self.model(**kwargs)
        self.db.add(instance)
        self.db.commit()
        self.db.refresh(instance)
        return instance

    def get(self, id):
        return self.db.query(self.model).filter(self.model.id == id).first()


def remove_new_users(db):
    db.execute(sqlalchemy.text("DELETE FROM bench_orm_users WHERE id > :n"), {"n": FIXTURE_USERS})
    db.commit()


def orm_insert(db, count):
    remove_new_users(db)
    repo = BaseRepository(User, db)
    start = time.perf_counter()
    ids = [repo.create(username=f"new user {i}", email=f"new{i}@example.com").id for i in range(count)]
    elapsed = time.perf_counter() - start
    assert len(set(ids)) == count
    remove_new_users(db)
    return elapsed


def orm_get(db, count):
    repo = BaseRepository(User, db)
    total = 0
    start = time.perf_counter()
    for i in range(count):
        user = repo.get(i % FIXTURE_USERS + 1)
        total += len(user.username)
    elapsed = time.perf_counter() - start
    assert total > 0
    return elapsed


def walk_posts(users):
    posts = 0
    for user in users:
        for post in user.posts:
            posts += 1 if post.title else 0
    return posts


def orm_load_related(db, count):
    start = time.perf_counter()
    users = db.query(User).filter(User.id <= count).order_by(User.id).all()
    posts = walk_posts(users)  # the seed's walk: one lazy SELECT per user
    elapsed = time.perf_counter() - start
    assert len(users) == count and posts == count * POSTS_PER_USER
    return elapsed


def orm_load_related_selectin(db, count):
    start = time.perf_counter()
    users = db.query(User).options(selectinload(User.posts)).filter(User.id <= count).order_by(User.id).all()
    posts = walk_posts(users)
    elapsed = time.perf_counter() - start
    assert len(users) == count and posts == count * POSTS_PER_USER
    return elapsed


CASES = {
    "orm_insert": orm_insert,
    "orm_get": orm_get,
    "orm_load_related": orm_load_related,
    "orm_load_related_selectin": orm_load_related_selectin,
}


def main():
    case, count = sys.argv[1], int(sys.argv[2])
    conninfo = sys.stdin.readline().rstrip("\n")
    # psycopg2 reads the conninfo as libpq does (a URI or keywords); the engine only asks it to connect.
    engine = create_engine("postgresql+psycopg2://", creator=lambda: psycopg2.connect(conninfo))
    session = sessionmaker(autocommit=False, autoflush=False, bind=engine)
    db = session()
    try:
        seconds = CASES[case](db, count)
    finally:
        db.close()
        engine.dispose()
    print(json.dumps({"seconds": seconds}))


if __name__ == "__main__":
    main()
