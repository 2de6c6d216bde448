//! Embedding cube-lua in a Rust program: register a function and a userdata type, run a
//! script, read its results back and catch a Lua error.
//!
//! Run with `cargo run -p cube-lua --example embed`.

use cube_lua::api::{Error, Result};
use cube_lua::{Lua, Table, UserData, UserDataMethods};

/// A bank account owned by Rust and used from Lua.
struct Account {
    owner: String,
    balance: i64,
}

impl UserData for Account {
    fn add_methods(m: &mut UserDataMethods<Self>) {
        m.add_method("balance", |_, a, ()| Ok(a.balance));
        m.add_method_mut("deposit", |_, a, amount: i64| {
            a.balance += amount;
            Ok(a.balance)
        });
        m.add_method_mut("withdraw", |_, a, amount: i64| {
            if amount > a.balance {
                return Err(Error::runtime(format!(
                    "{} cannot withdraw {amount}",
                    a.owner
                )));
            }
            a.balance -= amount;
            Ok(a.balance)
        });
        m.add_meta_method("__tostring", |_, a, ()| {
            Ok(format!("Account({}, {})", a.owner, a.balance))
        });
    }
}

fn main() -> Result<()> {
    let lua = Lua::new();

    // A plain function: Lua numbers and strings convert to the tuple's types.
    let greet = lua.create_function(|_, (name, times): (String, usize)| {
        Ok(vec![format!("hello, {name}"); times].join(" / "))
    })?;
    lua.globals().set("greet", greet)?;

    // A userdata value made in Rust and handed to Lua.
    let account = lua.create_userdata(Account {
        owner: "ada".into(),
        balance: 100,
    })?;
    lua.globals().set("account", &account)?;

    let results: Table = lua
        .load(
            r#"
            account:deposit(50)
            account:withdraw(30)
            return {
                greeting = greet("lua", 2),
                balance = account:balance(),
                text = tostring(account),
                ok = pcall(account.withdraw, account, 1000),
            }
            "#,
        )
        .set_name("=script")
        .eval()?;

    println!("greeting: {}", results.get::<_, String>("greeting")?);
    println!("balance:  {}", results.get::<_, i64>("balance")?);
    println!("text:     {}", results.get::<_, String>("text")?);
    println!("overdraw allowed: {}", results.get::<_, bool>("ok")?);
    // Rust sees the same object Lua changed.
    println!("from Rust: {}", account.borrow::<Account>()?.balance);

    // An uncaught Lua error becomes an `Err` with message and traceback.
    match lua.load("account:withdraw(1e6)").set_name("=script").exec() {
        Err(Error::Runtime { message, traceback }) => {
            println!("caught: {message}");
            if let Some(tb) = traceback {
                println!("{tb}");
            }
        }
        other => println!("unexpected: {other:?}"),
    }
    Ok(())
}
